"""Reading user data into a :class:`~hercules.data.dataset.Dataset`."""
