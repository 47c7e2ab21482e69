# regami-dr's long-lived AWS CLI v2: the CLI's own driver (awscli.clidriver), started once and
# fed one command line per request, so each call costs the request instead of the CLI's ~0.5-1 s
# start-up. Run by the interpreter of the `aws` binary itself (its shebang), so it is exactly the
# installed CLI v2 that parses the arguments, signs and sends the request.
#
# Protocol (stdin/stdout, one JSON object per line):
#   request  {"id": 1, "args": ["rds", "describe-db-instances", "--region", "eu-west-3", ...]}
#   response {"id": 1, "rc": 0, "stdout": "...", "stderr": "...", "requestIds": ["..."]}
# Credentials come from the CLI's standard chain in this process's environment; nothing secret
# is ever part of a request line. stderr of this process is not used.
import contextlib, io, json, os, sys

if os.environ.get('LC_CTYPE', '') == 'UTF-8':
    os.environ['LC_CTYPE'] = 'en_US.UTF-8'
import awscli.clidriver

real_stdout = sys.stdout
request_ids = []

def on_after_call(http_response=None, parsed=None, **kwargs):
    rid = None
    if isinstance(parsed, dict):
        rid = (parsed.get('ResponseMetadata') or {}).get('RequestId')
    if not rid and http_response is not None:
        h = http_response.headers
        rid = h.get('x-amzn-requestid') or h.get('x-amz-request-id') or h.get('x-amzn-RequestId')
    if rid:
        request_ids.append(rid)

driver = awscli.clidriver.create_clidriver()
driver.session.register('after-call', on_after_call)
try:
    import awscli
    version = "aws-cli/" + awscli.__version__
except Exception:
    version = "aws-cli/unknown"
real_stdout.write(json.dumps({"ready": True, "version": version}) + "\n")
real_stdout.flush()

for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    request = json.loads(line)
    out, err = io.StringIO(), io.StringIO()
    del request_ids[:]
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = driver.main(request["args"])
    except SystemExit as e:
        rc = e.code if isinstance(e.code, int) else 255
    except BaseException as e:  # the driver handles its own errors; this is a last resort
        err.write("\n%s: %s\n" % (type(e).__name__, e))
        rc = 255
    real_stdout.write(json.dumps({"id": request.get("id"), "rc": rc, "stdout": out.getvalue(),
                                  "stderr": err.getvalue(), "requestIds": list(request_ids)}) + "\n")
    real_stdout.flush()
