"""The study runner's orchestration: checks, job reuse, resume, failures, and the report."""
import json
import os
import os.path as osp

import pytest
import torch

from mmhpse.study import JobRunner, StudyConfigError, StudyRunner, load_study
from mmhpse.study.report import StudyReport, epochs_to_reach

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

FINETUNE = """
model = dict(type='Dummy', backbone=dict(type='ResNet', depth=18, init_cfg=None))
randomness = dict(seed=None)
train_dataloader = dict(dataset=dict(indices_file=None))
"""


def _study(tmp_path, pretrainings, fractions=(1.0, 0.5), baseline='random', extra=''):
    (tmp_path / 'finetune.py').write_text(FINETUNE)
    (tmp_path / 'pretrain.py').write_text("model = dict(type='Dummy')\n")
    text = f"""
study = dict(
    name='t', work_dir={str(tmp_path / 'work')!r}, baseline={baseline!r},
    pretrainings={pretrainings!r},
    finetune=dict(config={str(tmp_path / 'finetune.py')!r}, label_fractions={list(fractions)!r},
                  seeds=[0],
                  fraction_cfg_options={{'train_dataloader.dataset.indices_file': 'f{{pct}}.npy'}}),
    benchmarks=[dict(name='Proc', prefix='proc')], curve_metric='mpjpe', mean_pose=False{extra})
"""
    path = tmp_path / 'study.py'
    path.write_text(text)
    return str(path)


def test_bad_entries_are_all_listed_before_any_job(tmp_path):
    path = _study(tmp_path, [dict(name='random'),
                             dict(name='a', config='nope/missing.py'),
                             dict(name='b', checkpoint='nope/missing.pth'),
                             dict(name='a')], baseline='zzz',
                  extra=", groups=dict(SSL=['random', 'mocov9'])")
    with pytest.raises(StudyConfigError) as err:
        load_study(path, root=str(tmp_path))
    msg = str(err.value)
    assert 'config nope/missing.py does not exist' in msg
    assert 'checkpoint nope/missing.pth does not exist' in msg
    assert 'the name is used twice' in msg
    assert "baseline 'zzz' is not one of the pretrainings" in msg
    assert "groups['SSL']" in msg and "(unknown: ['mocov9'])" in msg
    assert not osp.exists(tmp_path / 'work')


class FakeJobs(JobRunner):
    """Runs no real training: 'trains' by writing what mmengine would (checkpoint, scalars)."""

    def __init__(self, repo, fail=()):
        super().__init__(repo, progress=lambda line: None)
        self.calls, self.fail = [], set(fail)
        self.curve = {'random': [30.0, 20.0, 10.0], 'pose': [20.0, 9.0, 8.0]}

    def _run(self, cmd, log_path, label):
        self.calls.append((label, cmd))
        job_dir = osp.dirname(log_path)
        # as mmengine's Runner.dump_config: the runtime config replaces <work_dir>/job_config.py
        with open(cmd[2], 'a') as f:
            f.write("custom_hooks = [dict(type='EpochSeedHook')]\nlauncher = 'none'\n")
        with open(log_path, 'a') as f:
            f.write('fake\n')
        if any(label.startswith(x) for x in self.fail):
            return 1
        name = label.split()[1] if label.startswith(('finetune', 'pretrain')) else None
        if label.startswith('test'):
            out = cmd[cmd.index('--out') + 1]
            pre = label.split('of finetune ')[1].split()[0]
            frac = float(label.split('@ ')[1].split('%')[0])
            value = self.curve[pre][-1] * (1 if frac == 100 else 2)
            with open(out, 'w') as f:
                json.dump({'proc/mpjpe': value, 'proc/pa-mpjpe': value / 2}, f)
            return 0
        ckpt = osp.join(job_dir, 'epoch_3.pth')
        import torchvision
        state = {'backbone.' + k: v for k, v in torchvision.models.resnet18().state_dict().items()
                 if not k.startswith('fc.')}
        torch.save({'state_dict': state}, ckpt)
        with open(osp.join(job_dir, 'last_checkpoint'), 'w') as f:
            f.write(ckpt)
        if label.startswith('finetune'):
            os.makedirs(osp.join(job_dir, '20260101_000000', 'vis_data'), exist_ok=True)
            with open(osp.join(job_dir, '20260101_000000', 'vis_data', 'scalars.json'), 'w') as f:
                for epoch, v in enumerate(self.curve[name], 1):
                    f.write(json.dumps({'proc/mpjpe': v, 'step': epoch}) + '\n')
        return 0


def test_runs_chain_reuses_finished_jobs_and_resumes_killed_ones(tmp_path):
    path = _study(tmp_path, [dict(name='random'),
                             dict(name='pose', config=str(tmp_path / 'pretrain.py'), depth=18)])
    study = load_study(path, root=str(tmp_path))
    jobs = FakeJobs(REPO)
    assert StudyRunner(study, REPO, jobs, progress=lambda s: None).run() == 0
    labels = [label for label, _ in jobs.calls]
    assert labels[0] == 'pretrain pose'
    assert len(labels) == 1 + 4 * 2  # 1 pre-training, 4 fine-tunings, 4 evaluations
    work = tmp_path / 'work'
    # the fine-tuning config chains the extracted backbone strictly, with the fraction's subset
    from mmengine.config import Config
    cfg = Config.fromfile(str(work / 'finetune/pose/frac50_seed0/job_config.py'))
    assert cfg.model.backbone.init_cfg['type'] == 'StrictPretrained'
    assert cfg.model.backbone.init_cfg['checkpoint'] == str(work / 'pretrain/pose/backbone.pth')
    assert cfg.train_dataloader.dataset.indices_file == 'f50.npy'
    # a pre-training whose config leaves the seed open gets the study's first seed
    assert Config.fromfile(str(work / 'pretrain/pose/job_config.py')).randomness.seed == 0
    cfg = Config.fromfile(str(work / 'finetune/random/frac100_seed0/job_config.py'))
    assert cfg.model.backbone.init_cfg is None and cfg.randomness.seed == 0
    assert cfg.train_dataloader.dataset.indices_file is None
    # the report: values, relative change against the baseline, epochs to the baseline's error
    csv_text = (work / 'results.csv').read_text().splitlines()
    assert len(csv_text) == 1 + 4
    md = (work / 'results.md').read_text()
    # labels, row, seeds, MPJPE, PA-MPJPE, MPVPE, paired Δ MPJPE / PA-MPJPE, % of mean pose
    # (no reference here), rel. % vs random, epochs to the baseline's final error
    assert '| 100 % | pose | 1 | 8.0 | 4.0 | – | −2.0 | −1.0 | – | −20.0 | 2 |' in md, md
    assert (work / 'convergence.png').stat().st_size > 1000

    # Rerun: every job is reused, none is launched again.
    jobs2 = FakeJobs(REPO)
    assert StudyRunner(load_study(path, root=str(tmp_path)), REPO, jobs2,
                       progress=lambda s: None).run() == 0
    assert jobs2.calls == []

    # A finished job whose config has changed since is refused, not silently reused.
    from mmhpse.study.jobs import StaleJobError
    with open(tmp_path / 'finetune.py', 'a') as f:
        f.write('extra_setting = 1\n')
    with pytest.raises(StaleJobError, match=r'finetune/random/frac100_seed0 was run with another '
                       r'config; its results would not match'):
        StudyRunner(load_study(path, root=str(tmp_path)), REPO, FakeJobs(REPO),
                    progress=lambda s: None).run()
    with open(tmp_path / 'finetune.py', 'w') as f:
        f.write(FINETUNE)

    # A killed fine-tuning (checkpoint, no done.json) is resumed, not restarted.
    os.remove(work / 'finetune/pose/frac50_seed0/done.json')
    jobs3 = FakeJobs(REPO)
    StudyRunner(load_study(path, root=str(tmp_path)), REPO, jobs3, progress=lambda s: None).run()
    assert [label for label, _ in jobs3.calls] == ['finetune pose @ 50% seed 0']
    assert '--resume' in jobs3.calls[0][1]


def test_fraction_of_12p5_percent_finds_the_index_file_the_tool_writes(tmp_path):
    """One naming rule: the prepare step's tool writes ``..._frac12p5_seed0.npy`` and the study's
    ``{pct}`` placeholder, job folder and table name 0.125 the same way."""
    import numpy as np
    ann = tmp_path / 'tiny_train.npz'
    np.savez_compressed(ann, imgname=np.array([f'{i}.jpg' for i in range(40)]))
    path = _study(tmp_path, [dict(name='random')], fractions=(1.0, 0.125))
    text = open(path).read().replace(
        "'f{pct}.npy'", repr(str(tmp_path / 'fr' / 'tiny_train_frac{pct}_seed0.npy')))
    text = text.replace("benchmarks=", f"""prepare=[dict(cmd=['python',
        {osp.join(REPO, 'tools/misc/make_label_fractions.py')!r}, {str(ann)!r},
        '--fractions', '0.125', '--seed', '0', '--out-dir', {str(tmp_path / 'fr')!r}])],
    benchmarks=""")
    open(path, 'w').write(text)
    jobs = FakeJobs(REPO)
    jobs.curve['random'] = [30.0, 20.0, 10.0]
    assert StudyRunner(load_study(path, root=str(tmp_path)), REPO, jobs,
                       progress=lambda s: None).run() == 0
    written = tmp_path / 'fr' / 'tiny_train_frac12p5_seed0.npy'
    assert written.is_file() and len(np.load(written)) == 5  # round(0.125 * 40)
    from mmengine.config import Config
    job = tmp_path / 'work' / 'finetune' / 'random' / 'frac12p5_seed0'
    cfg = Config.fromfile(str(job / 'job_config.py'))
    assert cfg.train_dataloader.dataset.indices_file == str(written)
    assert 'finetune random @ 12.5% seed 0' in [label for label, _ in jobs.calls]
    assert '| 12.5 % | random |' in (tmp_path / 'work' / 'results.md').read_text()


def test_a_failed_job_is_recorded_and_the_others_go_on(tmp_path):
    path = _study(tmp_path, [dict(name='random'),
                             dict(name='pose', config=str(tmp_path / 'pretrain.py'), depth=18)],
                  fractions=(1.0, ))
    lines = []
    jobs = FakeJobs(REPO, fail=['pretrain pose'])
    code = StudyRunner(load_study(path, root=str(tmp_path)), REPO, jobs,
                       progress=lines.append).run()
    assert code == 1
    failures = json.load(open(tmp_path / 'work' / 'failures.json'))
    assert failures[0]['job'] == 'pretrain pose'
    assert failures[0]['log'].endswith('pretrain/pose/job.log')
    assert {f['job'] for f in failures[1:]} == {'finetune pose @ 100% seed 0',
                                                'test Proc of finetune pose @ 100% seed 0'}
    # the baseline still ran and is in the table
    assert 'finetune random @ 100% seed 0' in [label for label, _ in jobs.calls]
    assert '| 100 % | random |' in (tmp_path / 'work' / 'results.md').read_text()
    assert '3 job(s) failed:' in lines


def test_report_relative_change_and_epochs_to_baseline():
    report = StudyReport([('A', 'a'), ('B', 'b')], 'base', 'a/mpjpe')
    report.add('base', 1.0, {'a/mpjpe': 100.0, 'a/pa-mpjpe': 50.0, 'b/mpjpe': 80.0},
               [(5, 120.0), (10, 100.0)])
    report.add('x', 1.0, {'a/mpjpe': 90.0, 'a/pa-mpjpe': 55.0, 'b/mpjpe': 60.0},
               [(5, 95.0), (10, 90.0)])
    (base, x) = report.rows()
    assert base['avg rel. %'] == 0.0
    assert x['A rel. %'] == pytest.approx((-10.0 + 10.0) / 2)
    assert x['B rel. %'] == pytest.approx(-25.0)
    assert x['avg rel. %'] == pytest.approx((-10.0 + 10.0 - 25.0) / 3)
    assert x['epochs to baseline'] == 5 and base['epochs to baseline'] == 10
    assert epochs_to_reach([(1, 5.0), (2, 3.0)], 2.0) is None


def test_launcher_commands_use_the_project_scripts():
    """Each launcher hands a job to the repo's own tool, with the arguments in its order."""
    cfg, wd = '/w/job_config.py', '/w/job'
    local = JobRunner('/repo', progress=print)._command('train', [cfg, '--work-dir', wd], 'x')
    assert local[1:] == ['/repo/tools/train.py', cfg, '--work-dir', wd]
    torch_run = JobRunner('/repo', launcher='pytorch', gpus=8)
    assert torch_run._command('train', [cfg, '--work-dir', wd, '--resume'], 'x') == [
        'bash', '/repo/tools/dist_train.sh', cfg, '8', '--work-dir', wd, '--resume']
    assert torch_run._command('test', [cfg, 'ck.pth', '--work-dir', wd, '--out', 'm.json'],
                              'x') == ['bash', '/repo/tools/dist_test.sh', cfg, 'ck.pth', '8',
                                       '--work-dir', wd, '--out', 'm.json']
    slurm = JobRunner('/repo', launcher='slurm', gpus=16, partition='gpu')
    assert slurm._command('train', [cfg, '--work-dir', wd, '--resume'], 'job_a') == [
        'bash', '/repo/tools/slurm_train.sh', 'gpu', 'job_a', cfg, wd, '--resume']
    assert slurm._command('test', [cfg, 'ck.pth', '--out', 'm.json'], 'job_b') == [
        'bash', '/repo/tools/slurm_test.sh', 'gpu', 'job_b', cfg, 'ck.pth', '--out', 'm.json']
    with pytest.raises(ValueError, match='partition'):
        JobRunner('/repo', launcher='slurm')


def test_publish_writes_the_best_run_into_a_local_zoo(tmp_path):
    """The best row (lowest mean MPJPE) is published with publish_model.py; its metafile entry
    holds the run's own metrics and the weights' hash, and find_model resolves it."""
    import hashlib

    import yaml

    from mmhpse.apis.zoo import find_model
    zoo = tmp_path / 'zoo'
    path = _study(tmp_path, [dict(name='random'),
                             dict(name='pose', config=str(tmp_path / 'pretrain.py'), depth=18)],
                  fractions=(1.0, ),
                  extra=f", publish=dict(zoo_dir={str(zoo)!r}, name='best_t', "
                        "training_data=['procedural'])")
    with open(tmp_path / 'finetune.py', 'a') as f:
        f.write("train_cfg = dict(max_epochs=3)\ntrain_dataloader.update(batch_size=4)\n")
    assert StudyRunner(load_study(path, root=str(tmp_path)), REPO, FakeJobs(REPO),
                       progress=lambda s: None).run() == 0
    with open(zoo / 'metafile.yml') as f:
        entry = yaml.safe_load(f)['Models'][0]
    assert entry['Name'] == 'best_t' and entry['Config'] == 'best_t.py'
    assert entry['Metadata']['Pre-training'] == 'pose'  # 8.0 mm against random's 10.0
    assert entry['Metadata']['Seed'] == 0 and entry['Metadata']['Epochs'] == 3
    assert entry['Results'] == [{'Task': '3D Human Pose and Shape Estimation',
                                 'Dataset': 'Proc', 'Metrics': {'MPJPE': 8.0,
                                                                'PA-MPJPE': 4.0}}]
    weights = zoo / entry['Weights']
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()
    assert entry['Metadata']['SHA256'] == digest and entry['Weights'].endswith(
        f'-{digest[:8]}.pth') and entry['Weights'].startswith('best_t_')
    config, found, _ = find_model('best_t', [str(zoo)])
    assert found == str(weights) and osp.isfile(config)
    from mmengine.config import Config
    assert Config.fromfile(config).model.backbone.init_cfg is None
    published = json.load(open(tmp_path / 'work' / 'published.json'))
    assert published['source'].endswith('finetune/pose/frac100_seed0/epoch_3.pth')
