"""The constructs replay translates; anything else is reported with a reason, never guessed."""

from __future__ import annotations

from sqlglot import exp

# Each of these is covered by a test that evaluates it against a value computed independently.
SUPPORTED: tuple[type[exp.Expr], ...] = (
    exp.Column, exp.Identifier, exp.Literal, exp.Null, exp.Boolean, exp.Paren, exp.Neg, exp.Star,
    exp.Add, exp.Sub, exp.Mul, exp.Div, exp.IntDiv, exp.Mod,
    exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.And, exp.Or, exp.Not, exp.Is, exp.In, exp.Between,
    exp.Like, exp.Case, exp.If, exp.Coalesce, exp.Nullif,
    exp.Sum, exp.Count, exp.Avg, exp.Min, exp.Max, exp.Distinct,
    exp.Round, exp.Abs, exp.Floor, exp.Ceil, exp.Greatest, exp.Least,
    exp.Concat, exp.Upper, exp.Lower, exp.Trim, exp.Left, exp.Right, exp.Substring,
    exp.Year, exp.Month, exp.Day, exp.DayOfMonth, exp.Quarter, exp.DayOfWeek, exp.Week,
    exp.DateDiff, exp.DateAdd, exp.DateSub, exp.TimeToStr, exp.TsOrDsToDate, exp.TsOrDsToTimestamp, exp.Var,
)

_NOT_DETERMINISTIC: dict[type[exp.Expr], str] = {
    exp.CurrentDate: "CURDATE()", exp.CurrentTimestamp: "CURRENT_TIMESTAMP", exp.CurrentTime: "CURTIME()",
    exp.CurrentDatetime: "CURRENT_DATETIME", exp.Rand: "RAND()",
}
_NOT_DETERMINISTIC_NAMES = {"NOW", "SYSDATE", "UTC_DATE", "UTC_TIMESTAMP", "UUID", "RAND", "CURTIME", "UNIX_TIMESTAMP"}


def unsupported_reason(tree: exp.Expr) -> str | None:
    """The first construct replay does not translate, as a reason; None when every node is supported."""
    for node in tree.walk():
        reason = _reason(node)
        if reason:
            return reason
    return None


def _reason(node: exp.Expr) -> str | None:
    if type(node) in _NOT_DETERMINISTIC or _anonymous_name(node) in _NOT_DETERMINISTIC_NAMES:
        name = _NOT_DETERMINISTIC.get(type(node)) or f"{_anonymous_name(node)}()"
        return f"not_deterministic: {name} depends on when and in which time zone Domo computed the card"
    if isinstance(node, exp.Anonymous):
        return f"unsupported_function: {_anonymous_name(node)}"
    if isinstance(node, exp.Count) and isinstance(node.this, exp.Distinct) and len(node.this.expressions) > 1:
        return "unsupported: COUNT(DISTINCT) of several columns"
    if isinstance(node, exp.Week) and not _literal_mode(node):
        return "unsupported: WEEK mode given by an expression"
    if not isinstance(node, SUPPORTED):
        return f"unsupported: {_label(node)}"
    return None


def _anonymous_name(node: exp.Expr) -> str:
    return str(node.this).upper() if isinstance(node, exp.Anonymous) else ""


def _literal_mode(node: exp.Week) -> bool:
    mode = node.args.get("mode")
    return mode is None or (isinstance(mode, exp.Literal) and not mode.is_string)


def _label(node: exp.Expr) -> str:
    if isinstance(node, exp.Func):
        return f"function {node.sql_name()}"
    return node.key.upper()
