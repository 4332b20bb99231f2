// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import io.smtcheck.evaluation.RunResult;
import io.smtcheck.evaluation.Trace;
import java.awt.Rectangle;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.batik.dom.GenericDOMImplementation;
import org.apache.batik.svggen.SVGGeneratorContext;
import org.apache.batik.svggen.SVGGraphics2D;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.StandardXYBarPainter;
import org.jfree.chart.renderer.xy.XYBarRenderer;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYIntervalSeries;
import org.jfree.data.xy.XYIntervalSeriesCollection;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The plots of {@code smtcheck evaluate --plots DIR}, drawn with JFreeChart as PNG and as SVG: the
 * slowdown CDF of every policy, STP per policy, and for each policy a timeline of which payload ran
 * on which hardware thread. The SVG is the same chart drawn onto Batik's SVGGraphics2D (Apache-2.0;
 * JFreeChart's own SVG back end, JFreeSVG, is GPL-3.0, which a GPL-2.0-only jar cannot include).
 */
final class EvaluationPlots {
    private static final int WIDTH = 1000;
    private static final int HEIGHT = 600;
    /** A timeline of more hardware threads than this is not drawn: too many rows to read. */
    static final int TIMELINE_MAX_CPUS = 64;

    private EvaluationPlots() {
    }

    /** Writes the plots into {@code dir} (which must exist) and returns the files written: each PNG, then its SVG. */
    /** Makes the plots' directory, with its parents, unless it is there; refuses a path that is something else. */
    static void prepare(Path dir) throws IOException {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new InputException(dir + ": --plots: not a directory");
        }
        Files.createDirectories(dir);
    }

    static List<Path> write(Path dir, List<RunResult> results, List<Integer> cpus) throws IOException {
        System.setProperty("java.awt.headless", "true");
        prepare(dir);
        List<Path> written = new ArrayList<>();
        save(dir, "slowdown-cdf", slowdownCdf(results), written);
        save(dir, "stp", stp(results), written);
        if (cpus.size() <= TIMELINE_MAX_CPUS) {
            for (RunResult r : results.stream().filter(r -> !r.timeline().isEmpty()).toList()) {
                save(dir, "timeline-" + r.policy().label(), timeline(r, cpus), written);
            }
        }
        return written;
    }

    private static void save(Path dir, String name, JFreeChart chart, List<Path> written) throws IOException {
        Path png = dir.resolve(name + ".png");
        ChartUtils.saveChartAsPNG(png.toFile(), chart, WIDTH, HEIGHT);
        written.add(png);
        Path svg = dir.resolve(name + ".svg");
        writeSvg(svg, chart);
        written.add(svg);
    }

    private static void writeSvg(Path file, JFreeChart chart) throws IOException {
        var document = GenericDOMImplementation.getDOMImplementation()
                .createDocument("http://www.w3.org/2000/svg", "svg", null);
        SVGGraphics2D g = new SVGGraphics2D(SVGGeneratorContext.createDefault(document), false);
        g.setSVGCanvasSize(new java.awt.Dimension(WIDTH, HEIGHT));
        chart.draw(g, new Rectangle(0, 0, WIDTH, HEIGHT));
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            g.stream(out, true);
        } finally {
            g.dispose();
        }
    }

    private static JFreeChart slowdownCdf(List<RunResult> results) {
        XYSeriesCollection data = new XYSeriesCollection();
        for (RunResult r : results) {
            XYSeries s = new XYSeries(r.policy().label(), true, true);
            double[] v = r.sortedTurnarounds();
            for (int i = 0; i < v.length; i++) {
                s.add(v[i], (i + 1) / (double) v.length);
            }
            data.addSeries(s);
        }
        JFreeChart chart = ChartFactory.createXYLineChart("Slowdown CDF", "turnaround / time alone",
                "share of jobs", data, PlotOrientation.VERTICAL, true, false, false);
        ((NumberAxis) chart.getXYPlot().getDomainAxis()).setAutoRangeIncludesZero(false);
        return chart;
    }

    private static JFreeChart stp(List<RunResult> results) {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        for (RunResult r : results) {
            data.addValue(r.stp(), "STP", r.policy().label());
        }
        return ChartFactory.createBarChart("System throughput (STP) per policy", "policy", "STP", data,
                PlotOrientation.VERTICAL, false, false, false);
    }

    /** One bar per hardware thread and interval between events, coloured by the payload that ran there. */
    private static JFreeChart timeline(RunResult r, List<Integer> cpus) {
        Map<String, Trace.Job> jobs = new HashMap<>();
        r.jobs().forEach(o -> jobs.put(o.job().id(), o.job()));
        Map<String, XYIntervalSeries> byPayload = new java.util.TreeMap<>();
        List<RunResult.TimelinePoint> points = r.timeline();
        for (int p = 0; p < points.size(); p++) {
            double from = points.get(p).time();
            double to = p + 1 < points.size() ? points.get(p + 1).time() : r.makespan();
            String[] onCpu = points.get(p).jobOnCpu();
            for (int k = 0; k < onCpu.length; k++) {
                if (onCpu[k] != null && to > from) {
                    String payload = jobs.get(onCpu[k]).payload();
                    byPayload.computeIfAbsent(payload, XYIntervalSeries::new)
                            .add(from, from, to, cpus.get(k), cpus.get(k) - 0.4, cpus.get(k) + 0.4);
                }
            }
        }
        XYIntervalSeriesCollection data = new XYIntervalSeriesCollection();
        byPayload.values().forEach(data::addSeries);
        XYBarRenderer renderer = new XYBarRenderer();
        renderer.setUseYInterval(true);
        renderer.setShadowVisible(false);
        renderer.setDrawBarOutline(false);
        renderer.setBarPainter(new StandardXYBarPainter());
        NumberAxis cpuAxis = new NumberAxis("CPU");
        cpuAxis.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        XYPlot plot = new XYPlot(data, new NumberAxis("seconds"), cpuAxis, renderer);
        return new JFreeChart("Placements under " + r.policy().label(), JFreeChart.DEFAULT_TITLE_FONT, plot, true);
    }
}
