"""Core of paperworks: registry, configs, trainer, run directories, reports and the CLI."""

from paperworks.core.errors import (
    CheckpointError,
    ConfigError,
    DataError,
    PaperworksError,
    TrainingDivergedError,
    UnknownNameError,
)
from paperworks.core.config import check_choice, check_int, check_interval, check_positive, check_unique
from paperworks.core.registry import Paper, System, all_systems, get_system, register
from paperworks.core.report import Claim, Report
from paperworks.core.rundir import RunDir

__all__ = [
    "CheckpointError", "ConfigError", "DataError", "PaperworksError", "TrainingDivergedError",
    "UnknownNameError",
    "check_choice", "check_int", "check_interval", "check_positive", "check_unique",
    "Paper", "System", "all_systems", "get_system", "register",
    "Claim", "Report", "RunDir",
]
