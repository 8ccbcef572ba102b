"""The convergence figure of a study: mean curve over seeds with a ±1 std band."""
from mmhpse.datasets.label_fraction import fraction_percent
from .report import MEAN_POSE


def plot_curves(report, path: str, title: str) -> None:
    """Error vs fine-tuning epoch, one line per pre-training (mean over seeds, band = ±1 std),
    the mean-pose reference dashed, one panel per label fraction."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator
    fractions = report.fractions()
    fig, axes = plt.subplots(1, len(fractions), figsize=(5 * len(fractions), 4), squeeze=False)
    for ax, fraction in zip(axes[0], fractions):
        for name in report.order:
            curve = report.mean_curve(name, fraction)
            if not curve:
                continue
            steps = [s for s, _, _ in curve]
            mean = [m for _, m, _ in curve]
            std = [0.0 if sd is None else sd for _, _, sd in curve]
            seeds = len(report.curves[(name, fraction)])
            line, = ax.plot(steps, mean, marker='o', label=f'{name} (n={seeds})',
                            linewidth=2.5 if name == report.baseline else 1.5)
            ax.fill_between(steps, [m - s for m, s in zip(mean, std)],
                            [m + s for m, s in zip(mean, std)], color=line.get_color(),
                            alpha=0.2, linewidth=0)
        reference = report.references.get(fraction, {}).get(report.curve_key)
        if reference is not None:
            ax.axhline(reference, color='grey', linestyle='--', label=MEAN_POSE)
        ax.set_title(f'{fraction_percent(fraction)} % labels')
        ax.set_xlabel('fine-tuning epoch')
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(f'{report.curve_key} (mm)')
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(f'{title} (mean over seeds, band: ±1 std)')
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
