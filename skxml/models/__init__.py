"""The InceptionXML estimators."""

from skxml.models._inception_xml import InceptionXMLClassifier

__all__ = ["InceptionXMLClassifier"]
