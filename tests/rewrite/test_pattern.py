"""The pattern language's rule sets: a rule is indexed by the op at its root."""


def test_pattern_rules_are_indexed_by_their_root_op():
    """A rule with a pattern is looked up by the op at its root, not tried on every node
    (which also decides which of two matching rules fires first)."""
    from symgraph.rewrite import rules

    for rule in rules.CANONICALIZE + rules.STABILIZE + rules.SPECIALIZE:
        if rule.pattern is not None and getattr(rule.pattern, "key", None) is not None:
            assert rule.keys == [rule.pattern.key], rule.name
