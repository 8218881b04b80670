from django.urls import path

from referrals import views

urlpatterns = [
    path("henvisninger/visitation/", views.triage_queue, name="triage-queue"),
    path("henvisninger/sendt/", views.sent_referrals, name="referral-sent"),
    path("henvisninger/<int:pk>/", views.referral_detail, name="referral-detail"),
    path(
        "virksomheder/<int:pk>/henvis/",
        views.referral_create,
        {"kind": "company"},
        name="company-referral-create",
    ),
    path(
        "ivaerksaettere/<int:pk>/henvis/",
        views.referral_create,
        {"kind": "founder"},
        name="founder-referral-create",
    ),
]
urlpatterns += [
    path(
        f"henvisninger/<int:pk>/{action}/",
        views.referral_action,
        {"action": action},
        name=f"referral-{action}",
    )
    for action in views.ACTIONS
]
