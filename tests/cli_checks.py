"""Checks the command-line tests share (tests/test_cli.py, tests/test_batch_cli.py)."""


def assert_one_error(result, *fragments):
    """Exit 2, one line on stderr starting 'Error:' holding every fragment, no traceback."""
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
