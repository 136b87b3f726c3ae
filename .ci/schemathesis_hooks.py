"""schemathesis hooks for .ci/schemathesis.

1. An Idempotency-Key names one request: the service replays the first
   answer to a repeat of that request and refuses (422, as the IETF draft
   says) the same key with a different request. Generated cases reuse the
   few short keys Hypothesis likes ("0", "00", ...) across unrelated
   requests, so every well-formed key is made unique before the call; a
   malformed key (negative testing) is left as it is.
2. The document's examples name ids of the form 019a8e3c-5b7d-7e1a-9c2f-
   3d4e5f60....: placeholders, as ids are made when the data is. In a body
   sent as the document shows it (the examples phase, where the parameter
   overrides of schemathesis.toml do not reach bodies), a placeholder is
   replaced by the real id of the demo data that .ci/schemathesis found
   (KR_* variables), by the field it is in.
"""

import os
import re
import uuid

import schemathesis

KEY = "Idempotency-Key"
WELL_FORMED = re.compile(r"^[!-~]{1,255}$")
PLACEHOLDER = "019a8e3c-5b7d-7e1a-9c2f-3d4e5f60"
REAL = {
    "namnd_id": "KR_NAMND_ID",
    "huvudansvar": "KR_NAMND_ID",
    "period_id": "KR_PERIOD_ID",
    "goal_area_id": "KR_GOAL_AREA_ID",
    "goal_id": "KR_GOAL_ID",
    "bar_pa_goal_id": "KR_GOAL_ID",
    "indicator_id": "KR_INDICATOR_ID",
    "report_id": "KR_REPORT_ID",
    "parent_id": "KR_BUDGET_LINE_ID",
}
# Lists of placeholders become empty lists (no co-responsible nämnd, no
# indicator): a real one may clash with the other fields.
EMPTIED = {"medansvariga", "indicator_ids"}


def is_placeholder(value):
    return isinstance(value, str) and value.startswith(PLACEHOLDER)


def substitute(value):
    if isinstance(value, dict):
        for field, item in value.items():
            if field in REAL and is_placeholder(item) and os.environ.get(REAL[field]):
                value[field] = os.environ[REAL[field]]
            elif field in EMPTIED and isinstance(item, list) and all(map(is_placeholder, item)):
                value[field] = []
            else:
                substitute(item)
    elif isinstance(value, list):
        for item in value:
            substitute(item)


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = case.headers or {}
    for name in list(headers):
        value = headers[name]
        if name.lower() == KEY.lower() and isinstance(value, str) and WELL_FORMED.match(value):
            headers[name] = str(uuid.uuid4())
    substitute(case.body)
