"""schemathesis hooks for .ci/schemathesis.

1. An Idempotency-Key names one request: the service replays the first
   answer to a repeat of that request and refuses (422, as the IETF draft
   says) the same key with a different request. Generated cases reuse the
   few short keys Hypothesis likes ("0", "00", ...) across unrelated
   requests, so every well-formed key is made unique before the call; a
   malformed key (negative testing) is left as it is.
2. An id in a body must name a row that exists: state, which the schema
   (a UUID) cannot express. The document's examples name ids of the form
   019a8e3c-5b7d-7e1a-9c2f-3d4e5f60....: placeholders, as ids are made
   when the data is; generated bodies name random UUIDs. schemathesis's
   parameter overrides do not reach bodies, so here a placeholder, and in
   a body generated as valid any id, is replaced by the real id of the
   demo data that .ci/schemathesis found (KR_* variables), by the field it
   is in. A body generated as invalid is sent as it is.
3. The path ids the configuration fills in are real; a case generated with
   an invalid path parameter gets a malformed id back (see before_call).
4. Those real rows are the run's fixtures and are never deleted: a DELETE
   that names one (the stateful phase finds their ids in list answers)
   names a fresh id instead, which no row has (404). Deleting the demo
   data's volume measure made every later case of /volume-measures/{id}
   (its id set by the configuration) answer 404, and schemathesis, which
   counts a configured id as one from a link, blamed the POST that ran just
   before (ST302 "Created resource not found" for an unrelated row).
"""

import os
import re
import uuid

import schemathesis
from schemathesis.core.parameters import ParameterLocation

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
# The rows the configuration names in paths and bodies (see 4. above).
FIXTURES = {
    os.environ[name]
    for name in (
        "KR_MAPPING_ID", "KR_PERIOD_ID", "KR_NAMND_ID", "KR_REPORT_ID",
        "KR_GOAL_AREA_ID", "KR_GOAL_ID", "KR_INDICATOR_ID", "KR_ASSIGNMENT_ID",
        "KR_BUDGET_LINE_ID", "KR_VOLUME_MEASURE_ID", "KR_KEY_FIGURE_ID", "KR_KOMMUN_ID",
    )
    if os.environ.get(name)
}
# Lists of placeholders become empty lists (no co-responsible nämnd, no
# indicator): a real one may clash with the other fields.
EMPTIED = {"medansvariga", "indicator_ids"}


def is_placeholder(value):
    return isinstance(value, str) and value.startswith(PLACEHOLDER)


def is_uuid(value):
    try:
        uuid.UUID(value)
        return True
    except (TypeError, ValueError, AttributeError):
        return False


def substitute(value, replaceable):
    """Replaces the ids `replaceable` accepts, in place."""
    if isinstance(value, dict):
        for field, item in value.items():
            if field in REAL and replaceable(item) and os.environ.get(REAL[field]):
                value[field] = os.environ[REAL[field]]
            elif (
                field in EMPTIED
                and isinstance(item, list)
                and item
                and all(map(replaceable, item))
            ):
                value[field] = []
            else:
                substitute(item, replaceable)
    elif isinstance(value, list):
        for item in value:
            substitute(item, replaceable)


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = case.headers or {}
    for name in list(headers):
        value = headers[name]
        if name.lower() == KEY.lower() and isinstance(value, str) and WELL_FORMED.match(value):
            headers[name] = str(uuid.uuid4())
    if case.method.upper() == "DELETE":
        for name, value in list((case.path_parameters or {}).items()):
            if value in FIXTURES:
                case.path_parameters[name] = str(uuid.uuid4())
    meta = getattr(case, "meta", None)
    negative = meta is not None and meta.is_negative_at(ParameterLocation.BODY)
    substitute(case.body, is_placeholder if negative else is_uuid)
    # The configuration puts real ids into path parameters, over the value
    # a negative case generated for them: put a malformed id back, so the
    # case is as invalid as it claims to be.
    if meta is not None and meta.is_negative_at(ParameterLocation.PATH):
        for name, value in list((case.path_parameters or {}).items()):
            if is_uuid(value):
                case.path_parameters[name] = "not-an-id"
