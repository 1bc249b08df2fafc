/* report_pdf.c - the report printed to PDF by headless Chromium (contract in
 * sipas/report_pdf.h). */
#define _XOPEN_SOURCE 700 /* nftw, to remove Chromium's profile tree */
#include "sipas/report_pdf.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sipas/atomic_file.h"

enum { DEFAULT_TIMEOUT_SECONDS = 120, POLL_MILLISECONDS = 50, MAX_PDF_BYTES = 256 << 20,
       PATH_BYTES = 4096 };

/* A private temporary directory and the paths the run uses inside it. */
typedef struct workspace {
    char dir[PATH_BYTES];
    char html[PATH_BYTES], pdf[PATH_BYTES], log[PATH_BYTES], home[PATH_BYTES],
         profile[PATH_BYTES];
} workspace;

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void workspace_remove(const workspace *w)
{
    if (w->dir[0] != '\0')
        nftw(w->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static sipas_status workspace_create(workspace *w, sipas_error *err)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(w->dir, sizeof w->dir, "%s/sipas-pdf-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(w->dir) == NULL) {
        sipas_status st = sipas_error_set(err, SIPAS_ERR_IO, "cannot create a temporary directory "
                                          "'%s': %s", w->dir, strerror(errno));
        w->dir[0] = '\0';
        return st;
    }
    struct { char *path; const char *name; } names[] = {
        {w->html, "report.html"}, {w->pdf, "report.pdf"}, {w->log, "chromium.log"},
        {w->home, "home"}, {w->profile, "profile"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if ((size_t)snprintf(names[i].path, PATH_BYTES, "%s/%s", w->dir, names[i].name) >=
            PATH_BYTES)
            return sipas_error_set(err, SIPAS_ERR_IO, "the temporary directory '%s' has too long "
                                   "a name", w->dir);
    if (mkdir(w->home, 0700) != 0 || mkdir(w->profile, 0700) != 0)
        return sipas_error_set(err, SIPAS_ERR_IO, "cannot create a directory in '%s': %s",
                               w->dir, strerror(errno));
    return SIPAS_OK;
}

/* The browser to run: the given path, or the first known name on $PATH. */
static sipas_status find_browser(const char *given, char *found, size_t size, sipas_error *err)
{
    if (given != NULL) {
        if (access(given, X_OK) != 0)
            return sipas_error_set(err, SIPAS_ERR_NOT_FOUND, "cannot write the PDF: Chromium "
                                   "'%s' cannot be run: %s", given, strerror(errno));
        snprintf(found, size, "%s", given);
        return SIPAS_OK;
    }
    static const char *const names[] = {"chromium", "chromium-browser", "google-chrome"};
    const char *path = getenv("PATH");
    if (path == NULL || *path == '\0')
        path = "/usr/local/bin:/usr/bin:/bin";
    for (size_t n = 0; n < sizeof names / sizeof names[0]; n++)
        for (const char *dir = path; *dir;) {
            size_t len = strcspn(dir, ":");
            if ((size_t)snprintf(found, size, "%.*s/%s", (int)(len ? len : 1),
                                 len ? dir : ".", names[n]) < size &&
                access(found, X_OK) == 0)
                return SIPAS_OK;
            dir += len + (dir[len] == ':');
        }
    return sipas_error_set(err, SIPAS_ERR_NOT_FOUND, "cannot write the PDF: Chromium is not "
                           "installed (none of chromium, chromium-browser, google-chrome on "
                           "PATH); install the Debian package chromium");
}

/* "file://" and the path, percent-encoded (RFC 8089, RFC 3986: only unreserved characters and
 * '/' stay as they are). */
static void file_url(const char *path, char *url, size_t size)
{
    size_t n = (size_t)snprintf(url, size, "file://");
    for (const unsigned char *p = (const unsigned char *)path; *p && n + 4 < size; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("/-._~", *p))
            url[n++] = (char)*p;
        else
            n += (size_t)snprintf(url + n, size - n, "%%%02X", *p);
    }
    url[n] = '\0';
}

/* The last non-empty line of Chromium's log, for the message. */
static void log_tail(const char *log, char *line, size_t size)
{
    line[0] = '\0';
    FILE *f = fopen(log, "r");
    if (f == NULL)
        return;
    char buf[1024];
    while (fgets(buf, sizeof buf, f)) {
        buf[strcspn(buf, "\r\n")] = '\0';
        size_t n = strlen(buf);
        if (n > 0) { /* kept whole up to size - 1 bytes: the start names the error */
            if (n >= size)
                n = size - 1;
            memcpy(line, buf, n);
            line[n] = '\0';
        }
    }
    fclose(f);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Runs the browser; *exit_status is its exit code, or -1 when it was killed at the timeout.
 * SIGINT, SIGTERM and SIGHUP are held while it runs: one that arrives kills the browser's
 * process group and is left in *signal_caught (0: none) for the caller to deliver again once
 * the temporary directory is gone, so that Ctrl-C leaves neither a browser nor its files. */
static sipas_status run_browser(const char *browser, const workspace *w, int timeout_seconds,
                                int *exit_status, int *signal_caught, sipas_error *err)
{
    char url[3 * PATH_BYTES + 16], print_to[PATH_BYTES + 32], profile[PATH_BYTES + 32];
    file_url(w->html, url, sizeof url);
    snprintf(print_to, sizeof print_to, "--print-to-pdf=%s", w->pdf);
    snprintf(profile, sizeof profile, "--user-data-dir=%s", w->profile);
    char *argv[] = {
        (char *)browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--no-default-browser-check", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-extensions",
        "--disable-default-apps", "--mute-audio", "--proxy-server=direct://",
        "--host-resolver-rules=MAP * ~NOTFOUND", "--no-pdf-header-footer", profile, print_to,
        url, NULL};
    /* A private environment: HOME and the XDG folders in the workspace, so that nothing of the
     * user's browser profile or caches is read or written. */
    char home[PATH_BYTES + 8], config[PATH_BYTES + 32], cache[PATH_BYTES + 32],
        data[PATH_BYTES + 32], tmpdir[PATH_BYTES + 8], path[PATH_BYTES + 8];
    const char *search = getenv("PATH");
    snprintf(home, sizeof home, "HOME=%s", w->home);
    snprintf(config, sizeof config, "XDG_CONFIG_HOME=%s/.config", w->home);
    snprintf(cache, sizeof cache, "XDG_CACHE_HOME=%s/.cache", w->home);
    snprintf(data, sizeof data, "XDG_DATA_HOME=%s/.local/share", w->home);
    snprintf(tmpdir, sizeof tmpdir, "TMPDIR=%s", w->dir);
    snprintf(path, sizeof path, "PATH=%s", search && *search ? search : "/usr/bin:/bin");
    char *envp[] = {home, config, cache, data, tmpdir, path, "LANG=C.UTF-8", NULL};

    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    int rc = posix_spawn_file_actions_init(&actions);
    if (rc != 0)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "cannot run '%s': %s", browser,
                               strerror(rc));
    if ((rc = posix_spawnattr_init(&attr)) != 0) {
        posix_spawn_file_actions_destroy(&actions);
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "cannot run '%s': %s", browser,
                               strerror(rc));
    }
    sigset_t stops, before;
    sigemptyset(&stops);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGTERM);
    sigaddset(&stops, SIGHUP);
    sigprocmask(SIG_BLOCK, &stops, &before);
    pid_t pid = -1;
    /* Its own process group, so that the renderer and GPU processes it starts can be killed
     * with it; the signal mask the program had. */
    if ((rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK)) == 0 &&
        (rc = posix_spawnattr_setsigmask(&attr, &before)) == 0 &&
        (rc = posix_spawnattr_setpgroup(&attr, 0)) == 0 &&
        (rc = posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)) == 0 &&
        (rc = posix_spawn_file_actions_addopen(&actions, 1, w->log, O_WRONLY | O_CREAT | O_TRUNC,
                                               0600)) == 0 &&
        (rc = posix_spawn_file_actions_adddup2(&actions, 1, 2)) == 0)
        rc = posix_spawn(&pid, browser, &actions, &attr, argv, envp);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    sipas_status st = SIPAS_OK;
    if (rc != 0) {
        st = sipas_error_set(err, rc == ENOENT ? SIPAS_ERR_NOT_FOUND : SIPAS_ERR_IO,
                             "cannot run '%s': %s", browser, strerror(rc));
        goto done;
    }
    double deadline = now_seconds() + timeout_seconds;
    int status = 0;
    for (;;) {
        pid_t waited = waitpid(pid, &status, WNOHANG);
        if (waited == pid)
            break;
        if (waited < 0 && errno != EINTR) {
            st = sipas_error_set(err, SIPAS_ERR_IO, "cannot wait for '%s': %s", browser,
                                 strerror(errno));
            kill(-pid, SIGKILL);
            goto done;
        }
        bool timed_out = now_seconds() > deadline;
        struct timespec pause = {0, POLL_MILLISECONDS * 1000000L};
        int sig = timed_out ? -1 : sigtimedwait(&stops, NULL, &pause);
        if (timed_out || sig > 0) {
            kill(-pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
            *exit_status = -1;
            *signal_caught = sig > 0 ? sig : 0;
            goto done;
        }
    }
    /* Helpers that outlive the browser process (a crash handler) go with it. */
    kill(-pid, SIGKILL);
    *exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
done:
    sigprocmask(SIG_SETMASK, &before, NULL);
    return st;
}

/* Copies the PDF Chromium wrote to path through the atomic writer, after checking it is one. */
static sipas_status copy_pdf(const char *from, const char *path, sipas_error *err)
{
    FILE *in = fopen(from, "rb");
    if (in == NULL)
        return sipas_error_set(err, SIPAS_ERR_IO, "cannot write '%s': Chromium wrote no PDF",
                               path);
    char *data = NULL;
    size_t len = 0;
    struct stat st;
    if (fstat(fileno(in), &st) == 0 && st.st_size >= 16 && st.st_size <= MAX_PDF_BYTES &&
        (data = malloc((size_t)st.st_size)) != NULL)
        len = fread(data, 1, (size_t)st.st_size, in);
    fclose(in);
    bool is_pdf = data && len == (size_t)st.st_size && memcmp(data, "%PDF-", 5) == 0;
    /* the end-of-file marker in the last bytes (ISO 32000-1, 7.5.5) */
    bool complete = false;
    for (size_t i = len > 1024 ? len - 1024 : 0; is_pdf && i + 5 <= len; i++)
        complete = complete || memcmp(data + i, "%%EOF", 5) == 0;
    if (!is_pdf || !complete) {
        free(data);
        return sipas_error_set(err, SIPAS_ERR_IO, "cannot write '%s': Chromium wrote no complete "
                               "PDF", path);
    }
    sipas_atomic_file *file = NULL;
    sipas_status s = sipas_atomic_file_open(path, &file, err);
    if (s == SIPAS_OK) {
        FILE *out = sipas_atomic_file_stream(file);
        if (out)
            fwrite(data, 1, len, out); /* a short write is reported by the commit */
        s = sipas_atomic_file_commit(file, err);
    }
    free(data);
    return s;
}

sipas_status sipas_report_write_pdf(const sipas_report *report, const char *path,
                                    const sipas_report_pdf_options *opt, sipas_error *err)
{
    sipas_status st = sipas_report_status(report, err);
    if (st != SIPAS_OK)
        return st;
    if (path == NULL)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "no path for the PDF report");
    char browser[PATH_BYTES];
    if ((st = find_browser(opt ? opt->browser : NULL, browser, sizeof browser, err)) != SIPAS_OK)
        return st;
    int timeout = opt && opt->timeout_seconds > 0 ? opt->timeout_seconds
                                                  : DEFAULT_TIMEOUT_SECONDS;
    workspace *w = calloc(1, sizeof *w);
    if (w == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    int exit_status = 0, signal_caught = 0;
    if ((st = workspace_create(w, err)) == SIPAS_OK &&
        (st = sipas_report_write_html(report, w->html, err)) == SIPAS_OK &&
        (st = run_browser(browser, w, timeout, &exit_status, &signal_caught, err)) == SIPAS_OK) {
        char last[512];
        log_tail(w->log, last, sizeof last);
        if (signal_caught)
            st = sipas_error_set(err, SIPAS_ERR_INTERRUPTED, "'%s' was not written: interrupted "
                                 "while printing", path);
        else if (exit_status == -1)
            st = sipas_error_set(err, SIPAS_ERR_IO, "cannot write '%s': %s did not finish "
                                 "printing in %d s", path, browser, timeout);
        else if (exit_status != 0)
            st = sipas_error_set(err, SIPAS_ERR_IO, "cannot write '%s': %s failed (exit code "
                                 "%d)%s%s", path, browser, exit_status, last[0] ? ": " : "",
                                 last);
        else
            st = copy_pdf(w->pdf, path, err);
    }
    workspace_remove(w);
    free(w);
    /* The signal held while Chromium ran, now that nothing is left behind: it ends the program
     * as it would have (or reaches the program's handler, and the status says why). */
    if (signal_caught)
        raise(signal_caught);
    return st;
}
