"""The throttle suite's plot: 200s and 429s per second over time, per strategy and scenario."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .throttle import Result

STYLE: dict[str, dict[str, Any]] = {
    "sdk": {"color": "tab:blue", "lw": 3.0, "alpha": 0.75, "zorder": 2},
    "gather": {"color": "tab:red", "lw": 1.5, "ls": "--", "zorder": 3},
    "aiolimiter": {"color": "tab:orange", "lw": 1.5, "ls": "-.", "zorder": 3},
    "tenacity": {"color": "tab:green", "lw": 1.6, "ls": ":", "zorder": 4},
    "aiolimiter tuned": {"color": "tab:purple", "lw": 1.6, "ls": (0, (5, 1)), "zorder": 4},
}


def plot(all_results: list[list[Result]], path: str) -> None:
    """One row of two panels (200s/s, 429s/s by send time, 1 s bins) per scenario."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(all_results)
    fig, axes = plt.subplots(n, 2, figsize=(15, 3.6 * n), squeeze=False)
    for row, results in enumerate(all_results):
        scenario = results[0].scenario
        ok_ax, rl_ax = axes[row]
        end = max(r.elapsed for r in results)
        for r in results:
            state = "stopped" if r.stopped else "done"
            label = (
                f"{r.strategy}: {r.succeeded}/{r.total} ok, {r.lost} lost, {r.elapsed:.1f} s "
                f"({state}), {r.sent_429} 429s"
            )
            for ax, status in ((ok_ax, 200), (rl_ax, 429)):
                centres, rates = r.timeline.per_second(status, bin_width=1.0)
                edges = [c - 0.5 for c in centres] + [centres[-1] + 0.5] if centres else [0.0]
                ax.stairs(rates, edges, label=label, **STYLE[r.strategy])
        steps = [at for at, _ in scenario.schedule] + [end]
        allowed = [rate for _, rate in scenario.schedule]
        ok_ax.stairs(allowed, steps, color="grey", ls="--", lw=1, label="allowed rate")
        ok_ax.set_title(f"{scenario.key}: 200 responses/s", fontsize=10)
        rl_ax.set_title(f"{scenario.key}: 429 responses/s (symlog scale)", fontsize=10)
        rl_ax.set_yscale("symlog", linthresh=1)
        for ax in (ok_ax, rl_ax):
            ax.set_xlabel("seconds since start (1 s bins, by send time)")
            ax.set_ylabel("responses per second")
            ax.grid(alpha=0.3)
            ax.set_xlim(0, end)
            ax.legend(fontsize=7, loc="upper right")
        ok_ax.set_ylim(0, max(allowed) * 2.2)
        rl_ax.set_ylim(0, max(10.0, rl_ax.get_ylim()[1]) * 30)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
