"""The committed allowlist of the Schemathesis run (test/e2e/openapi.test.ts).

Each entry is a rule between fields that JSON Schema cannot state, with its reason. Positive test
cases (ones the document says are valid) that break such a rule are not sent, because the service
refuses them with a 400 by design. Nothing else is excluded: every check runs on every operation.
Loaded by Schemathesis through SCHEMATHESIS_HOOKS=allowlist (PYTHONPATH=test/openapi).
"""
import schemathesis


def _int(value, default):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _words(text):
    return [w for w in str(text).split() if any(ch.isalnum() for ch in w)]


def _card(case):
    payment = (case.body or {}).get("payment") if isinstance(case.body, dict) else None
    card = payment.get("card") if isinstance(payment, dict) else None
    return card if isinstance(card, dict) else {}


def _luhn_invalid(number):
    digits = [int(ch) for ch in str(number) if ch.isdigit()]
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(reversed(digits)))
    return total % 10 != 0


def _expired(card):
    import datetime
    today = datetime.datetime.now(datetime.timezone.utc)
    return (_int(card.get("expYear"), 9999), _int(card.get("expMonth"), 12)) < (today.year, today.month)


def _cart_empty():
    """The caller's cart as the run's token sees it (a checkout orders the cart; a schema cannot know it)."""
    import json
    import os
    import urllib.request
    base = os.environ.get("SHOP_OPENAPI_BASE_URL", "http://127.0.0.1:8080")
    token = os.environ.get("SHOP_OPENAPI_AUTHORIZATION")
    request = urllib.request.Request(f"{base}/api/cart", headers={"authorization": token} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return not json.load(response).get("items")
    except (OSError, ValueError):
        return True


# (method, path template, the rule a valid request must also keep, predicate: True when the case breaks it)
RULES = [
    ("GET", "/api/search", "page × size may not exceed 10000 (the result window Elasticsearch pages through)",
     lambda case: _int((case.query or {}).get("page"), 1) * _int((case.query or {}).get("size"), 20) > 10000),
    ("GET", "/api/search", "priceMin may not exceed priceMax",
     lambda case: "priceMin" in (case.query or {}) and "priceMax" in (case.query or {})
     and float(case.query["priceMin"]) > float(case.query["priceMax"])),
    ("GET", "/api/search", "q has at most 12 words (a word count is not a JSON Schema keyword)",
     lambda case: len(_words((case.query or {}).get("q", ""))) > 12),
    ("POST", "/api/auth/register", "the password may not be the email",
     lambda case: isinstance(case.body, dict) and str(case.body.get("password", "")).strip().lower()
     == str(case.body.get("email", "")).strip().lower()),
    ("POST", "/api/orders", "the card number passes the Luhn check (a checksum is not a JSON Schema keyword)",
     lambda case: _luhn_invalid(_card(case).get("number", ""))),
    ("POST", "/api/orders", "the card has not expired (relative to today's month; a schema has no clock)",
     lambda case: _expired(_card(case))),
    ("POST", "/api/orders", "the sandbox's declining test cards answer 402 by design",
     lambda case: _card(case).get("number") in ("4000000000000002", "4000000000009995")),
    ("POST", "/api/orders", "an order is made from the caller's cart, which must hold something (state, not the request: 400 empty-cart)",
     lambda case: _cart_empty()),
]


def _period_broken(case):
    """The analytics routes' period: from before to, at most 366 days (defaults: to = now, from = to − 7 or 30 days)."""
    import datetime
    query = case.query or {}
    if "from" not in query and "to" not in query:
        return False

    def parse(value):
        text = str(value).replace("Z", "+00:00").replace("z", "+00:00")
        text = text.replace(":60", ":59")
        return datetime.datetime.fromisoformat(text)
    now = datetime.datetime.now(datetime.timezone.utc)
    to = parse(query["to"]) if "to" in query else now
    default_days = 30 if case.path in ("/api/analytics/sales", "/api/analytics/users") else 7
    start = parse(query["from"]) if "from" in query else to - datetime.timedelta(days=default_days)
    if start.tzinfo is None or to.tzinfo is None:
        return False
    return start >= to or (to - start) > datetime.timedelta(days=366)


RULES += [
    ("POST", "/api/activity", "the whole body is at most 64 KiB (a byte size is not a JSON Schema keyword; larger: 413)",
     lambda case: len(__import__("json").dumps(case.body, ensure_ascii=False).encode()) > 64 * 1024),
]

RULES += [
    ("GET", path, "the period: from before to, at most 366 days long (a relation between two fields)", _period_broken)
    for path in ("/api/analytics/overview", "/api/analytics/products/top", "/api/analytics/search/queries",
                 "/api/analytics/sales", "/api/analytics/users", "/api/analytics/sellers/me")
]


def _positive(case):
    meta = getattr(case, "meta", None)
    generation = getattr(meta, "generation", None)
    mode = getattr(generation, "mode", None)
    return mode is None or str(getattr(mode, "value", mode)) == "positive"


@schemathesis.hook
def filter_case(ctx, case):
    if not _positive(case):
        return True
    for method, path, _reason, broken in RULES:
        if case.method.upper() == method and case.path == path:
            try:
                if broken(case):
                    return False
            except (TypeError, ValueError):
                continue
    return True


# State a schema cannot know, supplied the way a real client would before a positive case is sent.
# An image upload must carry a whole JPEG, PNG or WebP (the server reads the bytes; a schema can only
# say "binary"): a positive upload sends this 1×1 PNG.
PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf000000030101001825dd8e0000000049454e44ae426082"
)


@schemathesis.hook
def map_case(ctx, case):
    if not _positive(case):
        return case
    if case.method.upper() == "POST" and case.path == "/api/items/{id}/images" and isinstance(case.body, dict):
        case.body = {"file": PNG_1X1}
    return case


# If-Match must name the item's current version (its ETag), which changes with every write: a
# positive PATCH/DELETE of an item reads the item first, as a client does, and sends its ETag.
import os  # noqa: E402
import urllib.error  # noqa: E402
import urllib.request  # noqa: E402


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    if not _positive(case) or case.path != "/api/items/{id}" or case.method.upper() not in ("PATCH", "DELETE"):
        return
    headers = case.headers or {}
    if not any(name.lower() == "if-match" for name in headers):
        return
    base = os.environ.get("SHOP_OPENAPI_BASE_URL", "http://127.0.0.1:8080")
    token = os.environ.get("SHOP_OPENAPI_AUTHORIZATION")
    request = urllib.request.Request(f"{base}/api/items/{case.path_parameters['id']}", headers={"authorization": token} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            etag = response.headers.get("etag")
    except (urllib.error.URLError, ValueError):
        return
    if etag:
        case.headers = {**{k: v for k, v in headers.items() if k.lower() != "if-match"}, "if-match": etag}
