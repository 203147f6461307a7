"""`accord schedule run` runs the money schedule now, as a job, or leaves it to a worker."""

from __future__ import annotations

from sqlalchemy import select
from typer.testing import CliRunner

from accord.cli import app as cli_app
from accord.jobs.tables import Job
from tests.factories import make_brand
from tests.jobs.conftest import open_store


def test_schedule_run_does_the_work_now_as_a_job_or_queues_it(tmp_path, monkeypatch, use_queue):
    url = f"sqlite:///{tmp_path}/accord.db"
    monkeypatch.setenv("ACCORD_DATABASE_URL", url)
    use_queue(f"sqlite:///{tmp_path}/queue.sqlite")
    runner = CliRunner()
    assert runner.invoke(cli_app, ["migrate"]).exit_code == 0
    store = open_store(url)
    try:
        brand = make_brand(store)
        now = runner.invoke(cli_app, ["schedule", "run", "--api-key", brand.api_key])
        assert now.exit_code == 0, now.output
        assert f"{brand.program_id}: locked 0; no payout due" in now.output
        queued = runner.invoke(cli_app, ["schedule", "run", "--queue", "--api-key", brand.api_key])
        assert queued.exit_code == 0, queued.output
        with store.read() as session:
            runs = list(session.scalars(select(Job).order_by(Job.created_at, Job.status)))
        assert [(j.kind, j.status, j.attempts) for j in runs] == [
            ("schedule", "done", 1),
            ("schedule", "queued", 0),
        ]
        assert queued.output.strip() == f"queued {runs[1].id}"
        assert runs[0].result["programs"][0]["program_id"] == brand.program_id
    finally:
        store.dispose()
