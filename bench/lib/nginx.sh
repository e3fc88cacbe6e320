# Sourced by the bench scripts that run nginx beside sluice-serve.
#
#   install_wrk_and_nginx        # Debian's wrk and nginx-light, if missing
#   write_nginx_conf WORK PORT [EXTRA]
#       WORK/nginx.conf: one worker, sendfile on, tcp_nopush, access log
#       off, serving WORK/www on 127.0.0.1:PORT; EXTRA goes into http {}
#       (e.g. "aio threads;").

install_wrk_and_nginx() {
  local need=()
  command -v wrk >/dev/null || need+=(wrk)
  [[ -x /usr/sbin/nginx ]] || need+=(nginx-light)
  ((${#need[@]})) || return 0
  local as_root=()
  ((EUID == 0)) || as_root=(sudo)
  "${as_root[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq \
    --no-install-recommends "${need[@]}"
}

write_nginx_conf() {
  local work=$1 port=$2 extra=${3:-}
  cat >"$work/nginx.conf" <<CONF
worker_processes 1;
daemon off;
error_log $work/nginx-error.log;
pid $work/nginx.pid;
events { worker_connections 8192; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 65;
  keepalive_requests 1000000;
  default_type application/octet-stream;
  client_body_temp_path $work/body;
  proxy_temp_path $work/proxy;
  fastcgi_temp_path $work/fastcgi;
  uwsgi_temp_path $work/uwsgi;
  scgi_temp_path $work/scgi;
  $extra
  server {
    listen 127.0.0.1:$port reuseport;
    root $work/www;
  }
}
CONF
}
