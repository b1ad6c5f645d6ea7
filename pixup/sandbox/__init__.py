"""A local stand-in for both services (``pip install 'pixup[sandbox]'``)."""
