"""Per-node run time of a compiled function built with ``profile=True``."""

from __future__ import annotations


class ProfileStats:
    """Accumulated seconds per node over all calls; ``summary()`` prints a table."""

    def __init__(self, program) -> None:
        self.program = program
        self._seconds = program.namespace["node_seconds"]
        self._calls = program.namespace["call_count"]

    @property
    def calls(self) -> int:
        return self._calls[0]

    def rows(self) -> list[tuple[float, str, str]]:
        rows = []
        for node, seconds in zip(self.program.profile_slots, self._seconds):
            shapes = ", ".join(str(v.type) for v in node.inputs)
            rows.append((seconds, str(node.op), shapes))
        return sorted(rows, key=lambda r: -r[0])

    def summary(self, file=None, top: int = 20) -> str:
        total = sum(self._seconds) or 1e-12
        lines = [
            f"profile of {self.program.function_name}: {self.calls} call(s), "
            f"{total * 1e3:.3f} ms in nodes",
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
