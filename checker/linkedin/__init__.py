"""The steps a person takes on LinkedIn: sign in, answer or report challenges, find the setting, flip it."""
