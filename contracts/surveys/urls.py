from django.urls import path

from contracts.surveys import views

urlpatterns = [
    path("svar/<str:token>/", views.answer, name="survey-answer"),
    path("svar/<str:token>/afmeld/", views.unsubscribe, name="survey-unsubscribe"),
]
