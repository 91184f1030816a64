from django.urls import path

from . import views

urlpatterns = [
    path("my-data/", views.mydata, name="mydata"),
    path("my-data/export.json", views.mydata_export_json, name="mydata_export_json"),
    path("my-data/export.xlsx", views.mydata_export_xlsx, name="mydata_export_xlsx"),
    path("my-data/consents/<str:kind>/withdraw/", views.consent_withdraw, name="mydata_consent_withdraw"),
    path("my-data/delete/", views.account_delete, name="mydata_delete"),
]
