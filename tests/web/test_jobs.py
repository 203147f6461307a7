"""Long operations run as jobs with a progress bar: CSV imports of conversions and returns,
and payout batches (see test_commission_pages)."""

from __future__ import annotations

from accord.jobs import service as jobs
from tests.factories import add_partner, click, convert
from tests.web.conftest import csrf_of, wait_for_job
from tests.web.test_setup_pages import signed_in  # noqa: F401 (a fixture)


def _upload(client, kind: str, program_id: str, text: str, name: str = "orders.csv"):
    page = client.get(f"/console/imports?program={program_id}")
    return client.post(
        f"/console/imports/{kind}",
        data={"csrf": csrf_of(page.text), "program": program_id},
        files={"file": (name, text.encode(), "text/csv")},
    )


def test_offline_conversions_import_with_progress_and_a_result_per_row(
    client,
    store,
    signed_in,  # noqa: F811
):
    brand = signed_in
    partner = add_partner(brand)
    click_id = click(brand, partner)
    lines = ["order_id,amount,currency,click_id"]
    lines += [f"OFF-{i},{10 + i}.00,USD,{click_id}" for i in range(30)]
    lines += ["OFF-BAD,12.00,XYZ,", "OFF-0,10.00,USD," + click_id]  # a bad currency, a retry
    started = _upload(client, "conversions", brand.program_id, "\n".join(lines))
    assert started.status_code == 303
    job_path = started.headers["location"]
    page = client.get(job_path)
    assert page.status_code == 200 and 'id="job"' in page.text
    done = wait_for_job(client, job_path)
    assert "orders.csv is imported." in done
    assert "created: 30" in done and "rejected: 1" in done and "duplicate: 1" in done
    assert "XYZ" in done and "currency" in done  # the rejected row says why
    results = client.get(job_path + "/results.csv").text.splitlines()
    assert results[0] == "row,status,id,field,message" and len(results) == 33
    assert results[32].startswith("33,duplicate,")  # the last line of the file
    job_id = job_path.rsplit("/", 1)[1]
    job = jobs.get_job(store, brand.caller, job_id)
    assert (job.status, job.done, job.total) == ("done", 32, 32)


def test_a_returns_file_reverses_orders_and_names_the_bad_rows(client, store, signed_in):  # noqa: F811
    brand = signed_in
    partner = add_partner(brand)
    convert(brand, order_id="RET-1", amount="100.00", click_id=click(brand, partner))
    text = "order_id,amount,reason_code\nRET-1,40.00,returned\nRET-404,,returned\n"
    done = wait_for_job(
        client, _upload(client, "reversals", brand.program_id, text).headers["location"]
    )
    assert "reversed: 1" in done and "rejected: 1" in done
    assert "no conversion &#39;RET-404&#39; found" in done  # the bad row, by name


def test_a_bad_upload_is_named_and_a_wrong_header_fails_the_job(client, signed_in):  # noqa: F811
    brand = signed_in
    page = client.get(f"/console/imports?program={brand.program_id}")
    empty = client.post(
        "/console/imports/conversions",
        data={"csrf": csrf_of(page.text), "program": brand.program_id},
        files={"file": ("", b"", "text/csv")},
    )
    assert empty.status_code == 422 and "choose a CSV file" in empty.text
    blank = _upload(client, "conversions", brand.program_id, "")
    assert "is empty: the first line must name the columns" in wait_for_job(
        client, blank.headers["location"]
    )
    latin = client.post(
        "/console/imports/conversions",
        data={"csrf": csrf_of(page.text), "program": brand.program_id},
        files={"file": ("a.csv", "order_id,currency\nCafé,EUR\n".encode("latin-1"), "text/csv")},
    )
    assert latin.status_code == 422 and "is not UTF-8 text" in latin.text
    bad = wait_for_job(
        client,
        _upload(client, "conversions", brand.program_id, "order,price\n1,2\n").headers["location"],
    )
    assert "It failed" in bad and "unknown column(s): order, price" in bad
    forged = client.post(
        "/console/imports/conversions",
        data={"csrf": "forged", "program": brand.program_id},
        files={"file": ("a.csv", b"order_id,currency\n", "text/csv")},
    )
    assert forged.status_code == 403


def test_another_brand_cannot_open_a_job(client, store, signed_in):  # noqa: F811
    from tests.factories import make_brand

    other = make_brand(store)
    job = jobs.start(store, other.caller, "payout_batch", {"program_id": other.program_id})
    assert client.get(f"/console/jobs/{job.id}").status_code == 404
