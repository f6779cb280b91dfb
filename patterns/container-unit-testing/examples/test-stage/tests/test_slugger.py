import unittest

from slugger import slugify


class SlugifyTest(unittest.TestCase):
    def test_spaces_become_dashes(self):
        self.assertEqual(slugify("Hello World"), "hello-world")

    def test_punctuation_is_dropped(self):
        self.assertEqual(slugify("Hello, Container World!"), "hello-container-world")

    def test_empty_title(self):
        self.assertEqual(slugify(""), "")
