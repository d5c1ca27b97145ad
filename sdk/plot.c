/*
 * Plots as SVG, written as text: the timeline of every call and the GFLOPS
 * over time. Output only; nothing here parses anything.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdk_internal.h"

#define W 960
#define H 600
#define ML 80 /* margins: left, right, top, bottom */
#define MR 30
#define MT 50
#define MB 60

static const char *const s_colors[] = {"#b0b0b0", "#f28e2b", "#4e79a7", "#59a14f"};
static const char *const s_phases[] = {"host submit \u2192 worker start", "set-up (args in)",
                                       "kernel", "result written"};

/* A "nice" tick step near range/n: 1, 2 or 5 times a power of ten. */
static double s_step(double range, int n)
{
    if (range <= 0)
        return 1;
    double raw = range / n;
    double p = pow(10, floor(log10(raw)));
    double m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

static void s_escape(wren_buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<':
            wren_buf_append_str(b, "&lt;");
            break;
        case '>':
            wren_buf_append_str(b, "&gt;");
            break;
        case '&':
            wren_buf_append_str(b, "&amp;");
            break;
        case '"':
            wren_buf_append_str(b, "&quot;");
            break;
        default:
            wren_buf_append(b, s, 1);
        }
    }
}

static void s_head(wren_buf *b, const char *title)
{
    wren_buf_printf(b,
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                    "font-family=\"sans-serif\" font-size=\"13\">\n"
                    "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
                    "<text x=\"%d\" y=\"28\" font-size=\"17\" text-anchor=\"middle\">",
                    W, H, W, H, W / 2);
    s_escape(b, title);
    wren_buf_append_str(b, "</text>\n");
}

/* Axes with ticks: x in seconds [0, xmax], y in [0, ymax]. */
static void s_axes(wren_buf *b, double xmax, double ymax, const char *xlabel, const char *ylabel, int y_integer)
{
    int pw = W - ML - MR, ph = H - MT - MB;
    wren_buf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#333\"/>\n", ML, MT,
                    pw, ph);
    double xs = s_step(xmax, 8);
    for (double x = 0; x <= xmax * 1.0001; x += xs) {
        double px = ML + x / xmax * pw;
        wren_buf_printf(b,
                        "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>"
                        "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g</text>\n",
                        px, MT, px, MT + ph, px, MT + ph + 18, x);
    }
    double ys = s_step(ymax, 6);
    if (y_integer && ys < 1)
        ys = 1;
    for (double y = 0; y <= ymax * 1.0001; y += ys) {
        double py = MT + ph - y / ymax * ph;
        wren_buf_printf(b,
                        "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                        "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
                        ML, py, ML + pw, py, ML - 6, py + 4, y);
    }
    wren_buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", ML + pw / 2, H - 18, xlabel);
    wren_buf_printf(b,
                    "<text x=\"20\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 20 %d)\">%s</text>\n",
                    MT + ph / 2, MT + ph / 2, ylabel);
}

static int s_write(wren_buf *b, const char *path)
{
    if (b->failed)
        return WREN_ENOMEM;
    FILE *f = fopen(path, "w");
    if (!f)
        return WREN_EIO;
    size_t w = fwrite(b->data, 1, b->len, f);
    int rc = (w == b->len && fclose(f) == 0) ? WREN_OK : WREN_EIO;
    if (w != b->len)
        fclose(f);
    return rc;
}

static double s_t0(const wren__plot_call *c, size_t n)
{
    double t0 = INFINITY;
    for (size_t i = 0; i < n; i++) {
        double t = c[i].t_submit > 0 ? c[i].t_submit : c[i].t_start;
        if (t > 0 && t < t0)
            t0 = t;
    }
    return t0;
}

int wren__plot_timeline(const wren__plot_call *c, size_t n, const char *title, const char *path)
{
    if (!n)
        return WREN_EINVAL;
    double t0 = s_t0(c, n), t1 = 0;
    for (size_t i = 0; i < n; i++)
        if (c[i].t_done - t0 > t1)
            t1 = c[i].t_done - t0;
    if (!isfinite(t0) || t1 <= 0)
        t1 = 1;
    wren_buf b;
    wren_buf_init(&b, 0);
    char t[300];
    snprintf(t, sizeof t, "Timeline of %zu calls (%s)", n, title ? title : "");
    s_head(&b, t);
    s_axes(&b, t1, (double)n, "seconds since the first submit", "call", 1);
    int pw = W - ML - MR, ph = H - MT - MB;
    double row = (double)ph / (double)n;
    double sw = row > 1.2 ? row * 0.8 : 1.0;
    /* One path per phase: "M x y H x2" for every call, so a 10,000-call
     * figure stays a few hundred KB. */
    for (int phase = 0; phase < 4; phase++) {
        wren_buf_printf(&b, "<path stroke=\"%s\" stroke-width=\"%.2f\" fill=\"none\" d=\"", s_colors[phase], sw);
        for (size_t i = 0; i < n; i++) {
            double ts[5] = {c[i].t_submit > 0 ? c[i].t_submit : c[i].t_start, c[i].t_start,
                            c[i].t_setup > 0 ? c[i].t_setup : c[i].t_start,
                            c[i].t_kernel > 0 ? c[i].t_kernel : c[i].t_setup, c[i].t_done};
            double a = ts[phase] - t0, z = ts[phase + 1] - t0;
            if (!(a >= 0) || !(z >= a))
                continue;
            double y = MT + ph - (i + 0.5) * row;
            /* Zero-length phases still show as a sliver. */
            double x1 = ML + a / t1 * pw, x2 = ML + z / t1 * pw;
            if (x2 - x1 < 0.6)
                x2 = x1 + 0.6;
            wren_buf_printf(&b, "M%.1f %.2fH%.1f", x1, y, x2);
        }
        wren_buf_append_str(&b, "\"/>\n");
    }
    for (int phase = 0; phase < 4; phase++)
        wren_buf_printf(&b,
                        "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"10\" fill=\"%s\"/>"
                        "<text x=\"%d\" y=\"%d\">%s</text>\n",
                        ML + 10 + phase * 215, MT - 14, s_colors[phase], ML + 28 + phase * 215, MT - 5,
                        s_phases[phase]);
    wren_buf_append_str(&b, "</svg>\n");
    int rc = s_write(&b, path);
    wren_buf_clean_up(&b);
    return rc;
}

int wren__plot_gflops(const wren__plot_call *c, size_t n, const char *title, const char *path)
{
    if (!n)
        return WREN_EINVAL;
    double t0 = s_t0(c, n), t1 = 0, total = 0;
    for (size_t i = 0; i < n; i++) {
        if (c[i].t_done - t0 > t1)
            t1 = c[i].t_done - t0;
        total += c[i].flops;
    }
    if (!isfinite(t0) || t1 <= 0)
        t1 = 1;
    enum { S = 300 };
    double eff[S + 1], fly[S + 1], ymax = 0;
    for (int s = 0; s <= S; s++) {
        double t = t0 + t1 * s / S, done = 0, rate = 0;
        for (size_t i = 0; i < n; i++) {
            double ks = c[i].t_setup > 0 ? c[i].t_setup : c[i].t_start, ke = c[i].t_kernel;
            if (ke > 0 && ke <= t)
                done += c[i].flops;
            if (ke > ks && ks <= t && t < ke)
                rate += c[i].flops / (ke - ks);
        }
        /* Effective: the work finished so far over the wall time so far. */
        eff[s] = t > t0 ? done / (t - t0) / 1e9 : 0;
        fly[s] = rate / 1e9;
        if (eff[s] > ymax)
            ymax = eff[s];
        if (fly[s] > ymax)
            ymax = fly[s];
    }
    if (ymax <= 0)
        ymax = 1;
    ymax *= 1.08;
    wren_buf b;
    wren_buf_init(&b, 0);
    char t[300];
    snprintf(t, sizeof t, "GFLOPS over time: %.3g GFLOP in %.3g s (%s)", total / 1e9, t1, title ? title : "");
    s_head(&b, t);
    s_axes(&b, t1, ymax, "seconds since the first submit", "GFLOPS", 0);
    int pw = W - ML - MR, ph = H - MT - MB;
    const double *series[2] = {fly, eff};
    const char *colors[2] = {"#e15759", "#4e79a7"};
    const char *names[2] = {"in flight (sum of running kernels' rates)", "effective (finished work / wall time)"};
    for (int k = 0; k < 2; k++) {
        wren_buf_printf(&b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", colors[k]);
        for (int s = 0; s <= S; s++)
            wren_buf_printf(&b, "%.1f,%.1f ", ML + (double)pw * s / S, MT + ph - series[k][s] / ymax * ph);
        wren_buf_append_str(&b, "\"/>\n");
        wren_buf_printf(&b,
                        "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"10\" fill=\"%s\"/>"
                        "<text x=\"%d\" y=\"%d\">%s</text>\n",
                        ML + 10 + k * 400, MT - 14, colors[k], ML + 28 + k * 400, MT - 5, names[k]);
    }
    wren_buf_append_str(&b, "</svg>\n");
    int rc = s_write(&b, path);
    wren_buf_clean_up(&b);
    return rc;
}
