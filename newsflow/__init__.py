"""newsflow: URLs in, clean geolocated and tagged news articles out, over Redis streams."""

__version__ = "0.1.0"
