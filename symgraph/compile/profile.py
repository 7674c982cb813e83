"""Per-node run time of a compiled function built with ``profile=True``."""

from __future__ import annotations


class ProfileStats:
    """Accumulated seconds per node over all calls; ``summary()`` prints a table."""

    def __init__(self, program) -> None:
        self.program = program
        self._seconds = program.profile_seconds
        self._calls = program.profile_calls

    @property
    def calls(self) -> int:
        return self._calls[0]

    def rows(self) -> list[tuple[float, str, str]]:
        rows = []
        for node, seconds in zip(self.program.profile_slots, self._seconds):
            shapes = ", ".join(str(v.type) for v in node.inputs)
            rows.append((seconds, str(node.op), shapes))
        return sorted(rows, key=lambda r: -r[0])

    def reset(self) -> None:
        """Forget the calls so far (e.g. a warm-up call)."""
        self._seconds[:] = [0.0] * len(self._seconds)
        self._calls[0] = 0

    def by_class(self) -> dict[str, float]:
        """Seconds per op class (``Dot``, ``Conv2d``, ``Elemwise``...), largest first, as
        in the "Class" section of Theano's profiler."""
        totals: dict[str, float] = {}
        for node, seconds in zip(self.program.profile_slots, self._seconds):
            name = type(node.op).__name__
            totals[name] = totals.get(name, 0.0) + seconds
        return dict(sorted(totals.items(), key=lambda item: -item[1]))

    def summary(self, file=None, top: int = 20) -> str:
        total = sum(self._seconds) or 1e-12
        lines = [
            f"profile of {self.program.label}: {self.calls} call(s), {total * 1e3:.3f} ms in nodes",
            f"{'share':>6} {'ms/call':>9}  op  (input types)",
        ]
        for seconds, op, shapes in self.rows()[:top]:
            per_call = seconds / max(self.calls, 1) * 1e3
            lines.append(f"{seconds / total:6.1%} {per_call:9.4f}  {op}  ({shapes})")
        text = "\n".join(lines)
        if file is not None:
            file.write(text + "\n")
        return text

    def __str__(self) -> str:
        return self.summary()
