"""The study runner: pre-trainings × label fractions → the paper's tables and curves."""
from .jobs import JobRunner
from .report import StudyReport
from .runner import StudyRunner, run_study
from .spec import Study, StudyConfigError, load_study

__all__ = ['JobRunner', 'StudyReport', 'StudyRunner', 'run_study', 'Study', 'StudyConfigError',
           'load_study']
