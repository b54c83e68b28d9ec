"""Operational records of capa itself, not of a clinic."""

from django.db import models


class Heartbeat(models.Model):
    """When a background process last proved it was running: `worker` (the heartbeat task beat
    sends every 30 seconds, run by a worker) and `daily-check` (beat's daily publication check).

    Not audited: it is overwritten every 30 seconds and says nothing about a family or a plan."""

    name = models.CharField(max_length=40, primary_key=True)
    last_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.last_at:%d/%m/%Y %H:%M:%S}"
