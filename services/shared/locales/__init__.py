"""The catalogues of services/shared/i18n.py (a package so that the image ships them)."""
