"""The InceptionXML estimators."""

from skxml.models._inception_xml import InceptionXMLClassifier
from skxml.models._inception_xml_plus import InceptionXMLPlusClassifier

__all__ = ["InceptionXMLClassifier", "InceptionXMLPlusClassifier"]
