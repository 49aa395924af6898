"""The server's HTTP API, as the tests use it to set the scene the pages then show.

Plain urllib, so the tests need nothing from PyPI but Playwright and pytest. Every call sends the
admin key in a header (never in a URL) and raises with the server's answer on an unexpected status.
"""

import json
import time
import urllib.error
import urllib.request


class APIError(AssertionError):
    """An answer other than the one a call expects, with its status and body."""


class API:
    def __init__(self, base_url: str, key: str):
        self.base_url = base_url
        self.key = key

    def request(self, method: str, path: str, body=None, key: str | None = None, expect=(200, 201, 202)):
        """Sends one request and answers (status, decoded JSON or None)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("X-API-Key", key if key is not None else self.key)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode()
        if expect is not None and status not in expect:
            raise APIError(f"{method} {path} answered {status}: {text[:2000]}")
        return status, (json.loads(text) if text else None)

    def data(self, method: str, path: str, body=None):
        """The `data` of Sandcastle's envelope for a call that must succeed."""
        return self.request(method, path, body)[1]["data"]

    def start_run(self, workflow_name: str, inputs: dict | None = None) -> str:
        """Starts a run as a client would (POST /api/workflows/run) and answers its id."""
        body = {"workflow_name": workflow_name}
        if inputs:
            body["input"] = inputs
        return self.data("POST", "/api/workflows/run", body)["run_id"]

    def run(self, run_id: str) -> dict:
        return self.data("GET", f"/api/runs/{run_id}")

    def wait_for_run(self, run_id: str, statuses: set[str], timeout: float = 60) -> dict:
        """Polls the run until its status is one of `statuses`; fails with the last seen state."""
        deadline = time.monotonic() + timeout
        while True:
            run = self.run(run_id)
            if run["status"] in statuses:
                return run
            if time.monotonic() > deadline:
                raise AssertionError(f"run {run_id} is {run['status']} after {timeout:.0f} s, expected one of {sorted(statuses)}: {run}")
            time.sleep(0.25)

    def create_sandbox(self, image: str = "base", ttl_seconds: int = 600) -> str:
        """A sandbox of the native API (/v1), made with the admin key, as an agent would make one."""
        request = urllib.request.Request(
            self.base_url + "/v1/sandboxes",
            data=json.dumps({"image": image, "ttl_seconds": ttl_seconds}).encode(),
            method="POST",
            headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())["id"]

    def delete_sandbox(self, sandbox_id: str) -> None:
        request = urllib.request.Request(
            self.base_url + f"/v1/sandboxes/{sandbox_id}", method="DELETE", headers={"Authorization": f"Bearer {self.key}"}
        )
        with urllib.request.urlopen(request, timeout=60):
            pass
