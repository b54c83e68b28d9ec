from django.apps import AppConfig


class CapaConfig(AppConfig):
    name = "capa"
    verbose_name = "capa"
