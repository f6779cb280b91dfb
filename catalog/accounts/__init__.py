"""Trainers' accounts: sign-up, log-in and log-out with Django's auth, and a command that makes one."""
