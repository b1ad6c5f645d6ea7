"""pixup: upload photos to TwitrPix, img.ly and compatible servers from the terminal."""

__version__ = "0.1.0"
