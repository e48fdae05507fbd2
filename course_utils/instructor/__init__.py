"""Tools for instructors and graders, never imported by lecture code.

``grading`` (student copies of the masters), ``autograde`` (grade a folder of submissions),
``scoring`` (points for lecture 05's custom target), ``slides`` (offline reveal.js decks).
"""
