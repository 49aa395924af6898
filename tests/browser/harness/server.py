"""One `sandcastle serve` for the whole session: the project's own binary, started as an operator
would start it with sign-in required (ADMIN_API_KEY + API_KEY_PEPPER), on a free port, with a
throwaway data folder and the test workflows; stopped by its PID at the end.
"""

import os
import re
import secrets
import shutil
import signal
import subprocess
import time
from pathlib import Path

# The workflows every served test server gets (copied into its throwaway folder).
TEST_WORKFLOWS = Path(__file__).resolve().parents[1] / "workflows"
LISTENING = re.compile(r"sandcastle serve: listening on (http://[^\s:]+:\d+)")
# Settings the caller's environment could carry into the server and change what the tests see
# (another key, open mode, a config file, a model provider).
FOREIGN_SETTINGS = ("ANTHROPIC_", "OPENAI_", "OPENROUTER_", "OLLAMA_", "AUTH_REQUIRED", "ADMIN_API_KEY", "API_KEY_PEPPER")


class ServedSandcastle:
    def __init__(self, binary: Path, work: Path, ui_assets: Path, log_path: Path, workflows: Path = TEST_WORKFLOWS):
        self.binary = binary
        self.work = work
        self.workflows = workflows
        self.ui_assets = ui_assets
        self.log_path = log_path
        # At least 16 characters, as the server requires of ADMIN_API_KEY; random so no test can
        # pass by knowing it.
        self.admin_key = "sc_admin_" + secrets.token_urlsafe(24)
        self.pepper = secrets.token_urlsafe(32)
        self.process: subprocess.Popen | None = None
        self.url = ""
        self.server_id = ""

    def start(self, timeout: float = 60) -> None:
        data = self.work / "data"
        workflows = self.work / "workflows"
        home = self.work / "home"
        for folder in (data, home):
            folder.mkdir(parents=True)
        shutil.copytree(self.workflows, workflows)
        environment = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith("SANDCASTLE_") and not name.startswith(FOREIGN_SETTINGS)
        }
        environment.update(
            HOME=str(home),
            ADMIN_API_KEY=self.admin_key,
            API_KEY_PEPPER=self.pepper,
            SANDCASTLE_UI_ASSETS=str(self.ui_assets),
        )
        command = [
            str(self.binary), "serve", "--port", "0", "--data-dir", str(data), "--workflows-dir", str(workflows),
            # The tests start a handful of runs within seconds; the run endpoints' rate limit is
            # not what they test.
            "--rate-limit-runs", "0",
        ]  # fmt: skip
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT, cwd=self.work)
        deadline = time.monotonic() + timeout
        while not self.url:
            found = LISTENING.search(self.log_path.read_text(errors="replace"))
            if found:
                self.url = found.group(1)
            elif self.process.poll() is not None:
                raise RuntimeError(f"sandcastle serve exited with {self.process.returncode} before listening:\n{self.log_tail()}")
            elif time.monotonic() > deadline:
                self.stop(timeout=5)
                raise RuntimeError(f"sandcastle serve did not report its port within {timeout:.0f} s:\n{self.log_tail()}")
            else:
                time.sleep(0.05)
        self.server_id = (data / "server-id").read_text().strip()

    def stop(self, timeout: float = 30) -> bool:
        """SIGTERM by PID (the server finishes removing what it made); SIGKILL when it is still
        running `timeout` seconds later. Answers whether SIGTERM alone stopped it."""
        if self.process is None or self.process.poll() is not None:
            return True
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
            return True
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
            return False

    def leftovers(self) -> list[str]:
        """Docker objects this server made that still exist: its runs' containers and volumes carry
        its process (`sandcastle.process=vm PID START`), its sandboxes its id (`sandcastle.server`)."""
        if self.process is None:
            return []
        found = []
        listings = [
            ["docker", "ps", "-a", "--filter", "label=sandcastle.managed=true", "--format",
             'container {{.ID}}|{{.Label "sandcastle.process"}}|{{.Label "sandcastle.server"}}'],
            ["docker", "volume", "ls", "--filter", "label=sandcastle.managed=true", "--format",
             'volume {{.Name}}|{{.Label "sandcastle.process"}}|{{.Label "sandcastle.server"}}'],
        ]  # fmt: skip
        for listing in listings:
            for line in subprocess.run(listing, capture_output=True, text=True, check=True).stdout.splitlines():
                name, process, server = line.split("|")
                if process.startswith(f"vm {self.process.pid} ") or (self.server_id and server == self.server_id):
                    found.append(name)
        return found

    @staticmethod
    def remove(objects: list[str]) -> None:
        for entry in objects:
            kind, name = entry.split(" ", 1)
            command = ["docker", "rm", "-f", name] if kind == "container" else ["docker", "volume", "rm", "-f", name]
            subprocess.run(command, capture_output=True, check=False)

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
