"""The presentation contract's rules: each a stable id and a pattern that finds what may never be published."""
from __future__ import annotations

import re
from dataclasses import dataclass

# Our own word boundary: `_` and `:` separate words here, so `missing_column:member_id` and `x_memberId` split.
_START, _END = r"(?<![A-Za-z0-9])", r"(?![A-Za-z0-9])"
# A secret's value: up to the next quote, space or separator (query, connection-string, CSV and JSON ones).
_VALUE = r"""["']?\s*[=:]\s*["']?[^\s"'&;,<>]+"""

_ROOTS = ("home", "root", "tmp", "var", "work", "Users", "opt", "etc", "mnt", "srv", "private")
_PHI_TEXT = (
    _START + r"(?:(?:member|patient|subscriber|cardholder|enrollee|beneficiary)[ _-]?"
    r"(?:id|identifier|number|name|(?:first|last|full|middle)[ _-]?name|dob|ssn|birth[ _-]?date|"
    r"date[ _-]?of[ _-]?birth|address|phone|email|zip)"
    r"|(?:first|last|full|given|family|middle)[ _-]?name|date[ _-]?of[ _-]?birth|birth[ _-]?date|dob|ssn|mrn"
    r"|social[ _-]security(?:[ _-]number)?|medical[ _-]record[ _-]number)" + _END)
# Plain words that are PHI only as a field name (a CSV header, JSON key, lone cell): in prose they mean nothing.
_PHI_NAMES = {"address", "street", "street_address", "address_line1", "address_line2", "city", "zip", "zip_code",
              "postal_code", "phone", "phone_number", "telephone", "email", "email_address", "gender", "sex"}
# A reason code naming a column (`bad_value:member_id`) is about the input's shape, not a member.
_REASON_CODE = re.compile(r"(?:bad_value|missing_column):$")


@dataclass(frozen=True)
class Rule:
    id: str
    pattern: re.Pattern
    # Lowercase regex fragments, one of which every match of `pattern` contains (in the lowercased text):
    # the gate below is built from them, so a rule added without its anchors is a rule the gate never opens for.
    anchors: tuple[str, ...]

    def matches(self, text: str) -> list[str]:
        return [m.group(0) for m in self.pattern.finditer(text)]


def _rule(rule_id: str, *alternatives: str, anchors: tuple[str, ...], flags: int = re.IGNORECASE) -> Rule:
    return Rule(rule_id, re.compile("|".join(f"(?:{a})" for a in alternatives), flags), anchors)


VALUE_RULES = (
    # Demo member ids are `M` + 8 digits (demo/generator.py); 6+ digits keeps shorter real-world ids in.
    _rule("member_id_value", _START + r"M\d{6,}" + _END, anchors=(r"m\d{6}",), flags=0),
    _rule("bearer_token", r"\bBearer\s+[A-Za-z0-9\-._~+/]{8,}=*",
          r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*", anchors=("bearer", "eyj")),
    # A SAS is a query string carrying `sig=` next to a version or expiry; the lookaheads allow either order.
    _rule("sas_token", r"""(?=[^\s"'<>]*\bsig=[A-Za-z0-9%+/=]{8,})(?=[^\s"'<>]*\bs[ve]=)[^\s"'<>]*sig=[^\s"'<>&]+""",
          anchors=("sig=",)),
    _rule("servicebus_connection", r"Endpoint=sb://[^\s;]+;[^\s\"']*SharedAccessKey=[^\s;\"']+",
          r"SharedAccessKey=[^\s;\"']{8,}", anchors=("sharedaccesskey=",)),
    _rule("password", _START + r"(?:[a-z0-9]+[_-])*(?:password|passwd|pwd)" + _VALUE,
          r"\b[a-z][a-z0-9+.-]*://[^/\s:@\"']+:[^/\s@\"']+@", anchors=("passw", "pwd", "://")),
    _rule("graph_download_url", r"[?&]tempauth=", r"@microsoft\.graph\.downloadUrl", r"/download\.aspx\?",
          r"https?://[\w.-]*sharepoint\.com/[^\s\"'<>]*download", r"graph\.microsoft\.com/[^\s\"'<>]*/content\b",
          anchors=("tempauth=", "@microsoft\\.graph\\.downloadurl", "/download\\.aspx\\?", "sharepoint\\.com/",
                   "graph\\.microsoft\\.com/")),
    _rule("salesforce_body_url", r"/sobjects/\w+/[A-Za-z0-9]{15,18}/(?:VersionData|Body)\b",
          r"/sfc/servlet\.shepherd/(?:version|document)/download/", anchors=("/sobjects/", "/sfc/servlet\\.shepherd/")),
    # Only the roots a host or a container leaks; a URL's own path is preceded by a letter and so never matches.
    _rule("local_path", r"(?<![\w.:/~-])/(?:" + "|".join(_ROOTS) + r")/[^\s\"'<>]+",
          r"(?<![\w/])~/[\w.]", r"(?<![A-Za-z0-9])[A-Z]:\\[^\s\"'<>]*", r"(?<![\w\\])\\\\[\w.-]+\\[\w$.-]+",
          r"\bfile:///", anchors=(*(f"/{root.lower()}/" for root in _ROOTS), "~/", ":\\\\", "\\\\\\\\", "file:///")),
    _rule("secret_key", r"\bAKIA[0-9A-Z]{16}\b", r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"\bsk-[A-Za-z0-9_-]{20,}",
          r"\b(?:ghp|gho|ghs|github_pat)_[A-Za-z0-9_]{20,}", r"\bxox[abpr]-[A-Za-z0-9-]{10,}",
          _START + r"(?:[a-z0-9]+[_-])*(?:secret|api[_-]?key|apikey|access[_-]?key|account[_-]?key|"
          r"private[_-]?key|(?:access|refresh|id|auth)[_-]?token|signing[_-]?key)" + _VALUE,
          anchors=("akia", "-----begin ", "sk-", "gh[pos]_", "github_pat_", "xox", "secret", "api[_-]?key",
                   "access[_-]?key",
                   "account[_-]?key", "private[_-]?key", "signing[_-]?key", "token")),
)
PHI_RULE_ID = "phi_field"
RULE_IDS = (PHI_RULE_ID, *(rule.id for rule in VALUE_RULES))
# What every PHI match contains: a _PHI_TEXT word, or (for names) a _PHI_NAMES word's first part, contiguous,
# since a normalized name only lowercases and turns separators and case changes into `_`.
_PHI_ANCHORS = ("member", "patient", "subscriber", "cardholder", "enrollee", "beneficiary", "name", "birth", "dob",
                "ssn", "mrn", "social", "medical")
_PHI_NAME_ANCHORS = ("address", "street", "city", "zip", "postal", "phone", "email", "gender", "sex")
_VALUE_ANCHORS = tuple(anchor for rule in VALUE_RULES for anchor in rule.anchors)

# The one matcher every value meets where it is produced, compiled once: every rule's anchors as one alternation
# over the lowercased text, each branch opening with a literal so the engine skips ahead in C. A value it passes
# fires no rule; only a hit runs the rules themselves (`findings`), to name the rule or clear a false alarm.
# (The rules' own patterns as one alternation cost about 0.7 µs a character here; the anchors a few ns.)
MATCHER = re.compile("|".join((*_PHI_ANCHORS, *_VALUE_ANCHORS)))
NAME_MATCHER = re.compile("|".join((*_PHI_ANCHORS, *_PHI_NAME_ANCHORS, *_VALUE_ANCHORS)))
# A key reaches only the value rules (`key=text`); an anchor found in `key=text` lies in `key=` or in the text,
# since the anchors holding `=` end with it. So a key is judged once, by the value rules' anchors alone.
KEY_MATCHER = re.compile("|".join(_VALUE_ANCHORS))


def may_leak(text: str, is_name: bool = False) -> bool:
    """False only when no rule can fire on `text` (as a name, when `is_name`): the fast check of every value."""
    if not text.isascii():  # case-insensitive matching folds some non-ASCII letters (ſ, K) onto ASCII ones
        return True
    return (NAME_MATCHER if is_name else MATCHER).search(text.lower()) is not None


def key_may_leak(key: str) -> bool:
    """Whether `key=` alone could complete a value rule, whatever the value: then every value under it is ruled on."""
    return not key.isascii() or KEY_MATCHER.search(f"{key}=".lower()) is not None


def _normalized_name(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name.strip()).lower()).strip("_")


def phi_in_text(text: str) -> list[str]:
    """PHI field names in a string (header, key, cell or prose), reason codes excepted."""
    return [m.group(0) for m in re.finditer(_PHI_TEXT, text, re.IGNORECASE)
            if not _REASON_CODE.search(text[:m.start()])]


def phi_in_name(name: str) -> list[str]:
    """PHI in something used as a field name: the prose patterns plus the words that are PHI only as names."""
    return phi_in_text(name) or ([name] if _normalized_name(name) in _PHI_NAMES else [])


def findings(text: str, is_name: bool = False, key: str | None = None) -> list[tuple[str, str]]:
    """(rule id, matched text) for every rule that fires on the string; `key` is the column or key it is filed under.

    Value rules see `key=text`, so a `password` column or key is caught by the same key=value patterns as prose;
    the PHI rule sees the text alone, since a PHI column's name is reported once, at the header or key.
    """
    found = [(PHI_RULE_ID, m) for m in (phi_in_name(text) if is_name else phi_in_text(text))]
    keyed = text if key is None else f"{key}={text}"
    return found + [(rule.id, m) for rule in VALUE_RULES for m in rule.matches(keyed)]
