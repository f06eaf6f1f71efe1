"""Durable questions: every question acknowledged to a person is stored before the ack and answered from the
store exactly once by whichever replica is alive (claimed with a lease)."""
