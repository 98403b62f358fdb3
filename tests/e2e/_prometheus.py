"""A real Prometheus server for end-to-end tests: started from the shipped CI config, queried over its HTTP API.

    config = ci_config(app_target="127.0.0.1:9464")          # collector-config/prometheus/prometheus-ci.yml, retargeted
    with PrometheusServer(config, workdir=tmp_path) as prometheus:   # 127.0.0.1, a free port, temp TSDB
        prometheus.query('up{job="genai-app"}')              # the "data" of /api/v1/query, or raises PrometheusError
        prometheus.api("alerts")                             # any GET /api/v1/<path>

Only the standard library talks to Prometheus (urllib + json). The server is stopped (SIGTERM, then SIGKILL) on
exit, whatever happened; its log is kept in ``workdir/prometheus.log`` and quoted in every startup failure.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml

PROMETHEUS_DIR = Path(__file__).resolve().parents[2] / "collector-config" / "prometheus"
CI_CONFIG = PROMETHEUS_DIR / "prometheus-ci.yml"
APP_JOB = "genai-app"


def prometheus_binary() -> str | None:
    return shutil.which("prometheus")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def ci_config(app_target: str) -> dict[str, Any]:
    """prometheus-ci.yml as shipped, with its one scrape target replaced and its rule files made absolute."""
    config: dict[str, Any] = yaml.safe_load(CI_CONFIG.read_text())
    (job,) = config["scrape_configs"]
    assert job["job_name"] == APP_JOB, job
    (static,) = job["static_configs"]
    assert len(static["targets"]) == 1, static
    static["targets"] = [app_target]
    config["rule_files"] = [str(PROMETHEUS_DIR / path) for path in config["rule_files"]]
    return config


class PrometheusError(AssertionError):
    """Prometheus answered with ``status: error`` (or not with JSON at all)."""


class PrometheusServer:
    def __init__(self, config: dict[str, Any], workdir: Path, *, binary: str | None = None) -> None:
        self._binary = binary or prometheus_binary() or "prometheus"
        self._config = config
        self._workdir = workdir
        self._process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.log_path = workdir / "prometheus.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0, attempts: int = 3) -> PrometheusServer:
        config_path = self._workdir / "prometheus.yml"
        config_path.write_text(yaml.safe_dump(self._config, sort_keys=False))
        for _ in range(attempts):  # a free port can be taken between free_port() and Prometheus binding it
            self.port = free_port()
            with self.log_path.open("ab") as log:
                self._process = subprocess.Popen(
                    [
                        self._binary,
                        f"--config.file={config_path}",
                        f"--storage.tsdb.path={self._workdir / 'tsdb'}",
                        f"--web.listen-address=127.0.0.1:{self.port}",
                        "--log.level=info",
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                )
            if self._wait_ready(timeout):
                return self
            self.stop()
        raise RuntimeError(f"Prometheus did not become ready; its log:\n{self.log_tail()}")

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as response:
                    if response.status == 200:
                        return True
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.1)
        return False

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def __enter__(self) -> PrometheusServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    # -- HTTP API --------------------------------------------------------------------------------------------------

    def api(self, path: str, **params: str | list[str]) -> Any:
        """GET /api/v1/<path>?params; returns the ``data`` member, raises PrometheusError on ``status: error``."""
        query = urllib.parse.urlencode(params, doseq=True)
        url = f"{self.url}/api/v1/{path}" + (f"?{query}" if query else "")
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                body = response.read()
        except urllib.error.HTTPError as error:  # 400/422/503 carry a JSON body with errorType and error
            body = error.read()
        try:
            answer = json.loads(body)
        except ValueError:
            raise PrometheusError(f"GET {url}: not JSON: {body[:500]!r}") from None
        if answer.get("status") != "success":
            raise PrometheusError(f"GET {url}: {answer.get('errorType')}: {answer.get('error')}")
        return answer["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """Instant query; the result vector (or scalar/string as a one-element list)."""
        data = self.api("query", query=expr)
        result = data["result"]
        return result if data["resultType"] in ("vector", "matrix") else [result]

    def series(self, match: str) -> list[dict[str, str]]:
        return list(self.api("series", **{"match[]": match}))

    def alerts(self) -> list[dict[str, Any]]:
        return list(self.api("alerts")["alerts"])
