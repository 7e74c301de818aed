module acsemu/clients/go

go 1.19
