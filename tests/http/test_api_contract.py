"""The verification API does what /api/v1/openapi.json says, checked by schemathesis.

Schemathesis generates requests from the document (valid ones and, to check that they are
refused, invalid ones) and checks every answer against it: no server error, only documented
status codes, bodies and headers as described. The number of examples is bounded and the
generation deterministic, so the test is quick and repeatable.
"""
import json
import re
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from portal.domain.idnumber import check_resident_id
from portal import verify as verify_package
from portal.verify.keys import ensure_demo_api_key
from portal.verify.lookup_log import lookup_log
from portal.verify.openapi import OPENAPI


# The document as served (test_the_served_document_is_this_one checks they are the same).
schema = schemathesis.openapi.from_dict(OPENAPI)


@pytest.fixture
def api_key(app, demo):
    with app.app_context():
        key = ensure_demo_api_key()
    yield key
    lookup_log.flush()  # the lookups' buffered log rows, while their database still exists


@schema.parametrize()
@settings(max_examples=30, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_the_api_answers_as_its_document_says(case, app, api_key):
    case.operation.schema.app = app  # requests go to this test's app through WSGI
    case.call_and_validate(app=app, headers={"X-API-Key": api_key})


def test_the_served_document_is_this_one(client):
    assert client.get("/api/v1/openapi.json").get_json() == json.loads(json.dumps(OPENAPI))


def _post(client, key, body):
    return client.post("/api/v1/verify", data=json.dumps(body), headers={"X-API-Key": key,
                                                                         "Content-Type": "application/json"})


def test_the_two_disagreements_found_before_are_settled(client, api_key):
    # {"name": ""} breaks minLength and is refused; a null number counts as left out.
    assert _post(client, api_key, {"name": "", "id_number": "371102198503143716"}).status_code == 400
    # A NUL character (refused by PostgreSQL in a query) is refused as the document says.
    assert _post(client, api_key, {"name": "张\x00", "id_number": "371102198503143716"}).status_code == 400
    found = _post(client, api_key, {"name": "张明华", "id_number": "371102198503143716", "cert_no": None})
    assert found.status_code == 200 and found.get_json()["found"] is True
    request = OPENAPI["paths"]["/api/v1/verify"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert request["properties"]["name"]["minLength"] == 1
    assert request["properties"]["cert_no"]["nullable"] is True


RESIDENT_ID = re.compile(r"(?<![0-9])[1-9][0-9]{16}[0-9X](?![0-9X])")


def test_every_example_id_number_has_a_correct_check_digit():
    """The document's examples, and those in the API's docstrings and messages."""
    texts = [json.dumps(OPENAPI, ensure_ascii=False)]
    texts += [path.read_text(encoding="utf-8") for path in Path(verify_package.__file__).parent.glob("*.py")]
    examples = {number for text in texts for number in RESIDENT_ID.findall(text)}
    assert len(examples) >= 2, "the document and the API's error message show example ID numbers"
    assert {n for n in examples if not check_resident_id(n).ok} == set()
