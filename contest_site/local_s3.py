"""A local S3-compatible endpoint for tests and ``make serve-prod MEDIA=s3``: moto in server mode, in a
process of its own, on a free port, with the media bucket made.

Production uses any S3 service (MinIO, Ceph RGW, AWS; docs/deployment.md); moto speaks the same HTTP API
(signed requests, multipart uploads, ranged GETs, presigned URLs), and it is on the package index where
MinIO's server binary is not. Its objects live in that process's memory: a test run's media vanish with it.

``python -m contest_site.local_s3`` starts one and prints the MEDIA_S3_* variables that point at it, then
waits until interrupted (scripts/serve-prod).
"""

from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import sys
import time

BUCKET = "contest-media"
ACCESS_KEY = "local-access-key"  # moto accepts any credentials; real ones come from the environment
SECRET_KEY = "local-secret-key"  # noqa: S105 -- not a secret: a local test endpoint's placeholder
REGION = "us-east-1"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(port: int = 0) -> tuple[subprocess.Popen, dict[str, str]]:
    """Start moto's server and make the bucket; return the process and the MEDIA_S3_* variables."""
    port = port or _free_port()
    process = subprocess.Popen(  # noqa: S603 -- our interpreter, moto's module, a port we chose
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    endpoint = f"http://127.0.0.1:{port}"
    _wait_until_up(endpoint, process)
    variables = {
        "MEDIA_S3_BUCKET": BUCKET,
        "MEDIA_S3_ENDPOINT_URL": endpoint,
        "MEDIA_S3_REGION": REGION,
        "MEDIA_S3_ACCESS_KEY_ID": ACCESS_KEY,
        "MEDIA_S3_SECRET_ACCESS_KEY": SECRET_KEY,
    }
    make_bucket(variables)
    return process, variables


def make_bucket(variables: dict[str, str]) -> None:
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=variables["MEDIA_S3_ENDPOINT_URL"],
        region_name=variables["MEDIA_S3_REGION"],
        aws_access_key_id=variables["MEDIA_S3_ACCESS_KEY_ID"],
        aws_secret_access_key=variables["MEDIA_S3_SECRET_ACCESS_KEY"],
    )
    client.create_bucket(Bucket=variables["MEDIA_S3_BUCKET"])


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start_for_this_process() -> None:
    """Start an endpoint for this test run and point the environment at it (processes the tests start
    inherit it, so they share the one bucket); stopped when the run ends."""
    process, variables = start()
    atexit.register(stop, process)
    os.environ.update(variables)


def _wait_until_up(endpoint: str, process: subprocess.Popen, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto's server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", int(endpoint.rsplit(":", 1)[1])), timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    stop(process)
    raise RuntimeError(f"moto's server did not answer on {endpoint} within {timeout_s} s")


def main() -> int:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    process, variables = start(port)
    for name, value in variables.items():
        print(f"{name}={value}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop(process)
    return 0


if __name__ == "__main__":
    sys.exit(main())
