-- wrk script: POST /auth/login with a fixed user (created by login.sh).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"username":"bench","password":"correct horse battery staple"}'
