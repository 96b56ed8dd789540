import subprocess
import sys


def test_console_script_takes_hyphenated_commands():
    result = subprocess.run([sys.executable, "-m", "openmarac", "help", "verify-audit"], capture_output=True, text=True)
    assert result.returncode == 0
    assert "hash chain" in result.stdout
