"""The study report's statistics on hand-made results: mean ± std over seeds, paired
differences to the baseline, the two reference rows and the opt-in test-set selection."""
import csv
import math

import pytest

from mmhpse.study.report import MEAN_POSE, StudyReport, mean_std

# per seed: (MPJPE, PA-MPJPE); 'jc' has a seed (3) that the baseline lacks
RUNS = {
    'random': {0: (100., 60.), 1: (110., 66.), 2: (90., 54.)},
    'jc': {0: (80., 50.), 1: (95., 52.), 2: (85., 48.), 3: (70., 45.)},
}


def _report(selection=None, histories=None, groups=None):
    report = StudyReport([('Proc', 'proc')], 'random', 'proc/mpjpe', 'random', selection, groups)
    for name, seeds in RUNS.items():
        for seed, (mpjpe, pa) in seeds.items():
            curve = [(2, mpjpe + 10), (4, mpjpe)]
            report.add(name, 1.0, {'proc/mpjpe': mpjpe, 'proc/pa-mpjpe': pa}, curve, seed=seed,
                       history=(histories or {}).get((name, seed)))
    report.add_reference(1.0, {'proc/mpjpe': 200., 'proc/pa-mpjpe': 120.})
    return report


def test_mean_std_is_the_sample_std():
    assert mean_std([1., 2., 3., 4.]) == (2.5, pytest.approx(math.sqrt(5 / 3)), 4)
    assert mean_std([7.]) == (7., None, 1)
    assert mean_std([]) == (None, None, 0)


def test_rows_mean_std_paired_differences_and_references():
    rows = {r['pretraining']: r for r in _report().rows()}
    assert list(rows) == [MEAN_POSE, 'random', 'jc']  # the reference row comes first
    jc, rand, ref = rows['jc'], rows['random'], rows[MEAN_POSE]
    # mean ± sample std over all four seeds of jc, computed by hand
    assert jc['seeds'] == 4
    assert jc['Proc MPJPE'] == pytest.approx(82.5)
    assert jc['Proc MPJPE std'] == pytest.approx(math.sqrt(325 / 3))
    assert jc['Proc PA-MPJPE'] == pytest.approx(48.75)
    assert jc['Proc PA-MPJPE std'] == pytest.approx(math.sqrt(26.75 / 3))
    # paired differences over the three shared seeds: -20, -15, -5 and -10, -14, -6
    assert jc['Proc MPJPE diff'] == pytest.approx(-40 / 3)
    assert jc['Proc MPJPE diff std'] == pytest.approx(math.sqrt((
        (-20 + 40 / 3)**2 + (-15 + 40 / 3)**2 + (-5 + 40 / 3)**2) / 2))
    assert jc['Proc PA-MPJPE diff'] == pytest.approx(-10.)
    assert jc['Proc PA-MPJPE diff std'] == pytest.approx(4.)
    assert rand['Proc MPJPE diff'] == 0. and rand['Proc MPJPE diff std'] == 0.
    # relative to the mean-pose row (100 * error / mean-pose error) ...
    assert jc['Proc MPJPE % of mean pose'] == pytest.approx(41.25)
    assert rand['Proc MPJPE % of mean pose'] == pytest.approx(50.)
    assert ref['Proc MPJPE'] == 200. and ref['Proc MPJPE % of mean pose'] == 100.
    assert ref['seeds'] is None and 'Proc MPJPE diff' not in ref
    # ... and to the random row ((error - random) / random, averaged over the metrics)
    assert jc['Proc rel. % vs random'] == pytest.approx((-17.5 - 18.75) / 2)
    assert ref['Proc rel. % vs random'] == pytest.approx(100.)
    assert jc['epochs to baseline'] == 2  # mean curve 92.5 at epoch 2 <= random's final 100


def test_markdown_and_csv_carry_the_statistics(tmp_path):
    report = _report()
    md = report.markdown('T')
    assert ('| 100 % | jc | 4 | 82.5 ± 10.4 | 48.8 ± 3.0 | – | −13.3 ± 7.6 | −10.0 ± 4.0 '
            '| 41 % | −18.1 | 2 |') in md, md
    assert '| 100 % | **mean pose** | – | 200.0 | 120.0 | – | – | – | 100 % | +100.0 | – |' in md
    report.write_csv(str(tmp_path / 'r.csv'))
    with open(tmp_path / 'r.csv') as f:
        rows = {r['pretraining']: r for r in csv.DictReader(f)}
    assert float(rows['jc']['Proc MPJPE diff']) == pytest.approx(-40 / 3)
    assert float(rows['jc']['Proc MPJPE std']) == pytest.approx(math.sqrt(325 / 3))
    assert rows[MEAN_POSE]['Proc MPJPE diff'] == ''


def test_test_set_selection_is_opt_in_and_picks_the_best_epoch():
    assert 'Proc MPJPE (test-set selection)' not in _report().rows()[1]
    histories = {
        # epoch 2 has the lowest PA-MPJPE: its MPJPE (90) is reported, not the last one
        ('jc', 0): {2: {'proc/mpjpe': 90., 'proc/pa-mpjpe': 49.}, 4: {'proc/mpjpe': 80.,
                                                                     'proc/pa-mpjpe': 50.}},
        ('jc', 1): {2: {'proc/mpjpe': 99., 'proc/pa-mpjpe': 56.}, 4: {'proc/mpjpe': 95.,
                                                                     'proc/pa-mpjpe': 52.}},
    }
    report = _report('pa-mpjpe', histories)
    jc = {r['pretraining']: r for r in report.rows()}['jc']
    assert jc['Proc MPJPE (test-set selection)'] == pytest.approx((90. + 95.) / 2)
    assert jc['Proc PA-MPJPE (test-set selection)'] == pytest.approx((49. + 52.) / 2)
    assert jc['Proc MPJPE'] == pytest.approx(82.5)  # the default stays the last checkpoint
    assert report.runs[('jc', 1.0)][0]['test-set selection/epoch'] == 2
    md = report.markdown('T')
    assert 'MPJPE (test-set selection)' in md and 'select the model on the test set' in md


def test_group_row_is_the_unweighted_mean_of_its_members():
    report = _report(groups={'G': ['random', 'jc']})
    rows = report.rows()
    assert [r['pretraining'] for r in rows] == [MEAN_POSE, 'random', 'jc', 'G (mean of 2)']
    group = rows[-1]
    # by hand: random's means (100, 60), jc's means (82.5, 48.75) over their own seeds
    assert group['Proc MPJPE'] == pytest.approx((100. + 82.5) / 2)
    assert group['Proc PA-MPJPE'] == pytest.approx((60. + 48.75) / 2)
    assert group['Proc MPJPE diff'] == pytest.approx((0. - 40 / 3) / 2)
    assert group['Proc MPJPE % of mean pose'] == pytest.approx((50. + 41.25) / 2)
    assert group['Proc rel. % vs random'] == pytest.approx((0. + (-17.5 - 18.75) / 2) / 2)
    assert group.get('Proc MPJPE std') is None and group['seeds'] is None
    assert group['label_fraction'] == 1.0 and group['group'] == ['random', 'jc']
    md = report.markdown('T')
    assert '| 100 % | *G (mean of 2)* | – | 91.2 | 54.4 |' in md, md
    assert 'G = random, jc' in md


def test_group_without_runs_at_a_fraction_adds_no_row():
    report = _report(groups={'G': ['nobody']})
    assert [r['pretraining'] for r in report.rows()] == [MEAN_POSE, 'random', 'jc']
