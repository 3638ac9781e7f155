from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "cyberbasics.web.reviews"
    label = "reviews"
