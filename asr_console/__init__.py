"""asr-console: a terminal console for Azure Site Recovery (VMware to Azure)."""

__version__ = "0.1.0"
