// kb's reasoner process (reasoning/engineprocess.py): HermiT over the OWL API in a JVM of its own,
// started as a cold `kb infer` starts, so that the JVM starts, reads the ontology and sets HermiT
// up on one core while Python imports and reads the case on the other. It answers what
// jvm.WarmHermit answers in kb's own process, with the same OWL API calls.
//
// Protocol: UTF-8 lines of tab-separated fields; in a field, backslash, tab, newline and carriage
// return are escaped as \\, \t, \n and \r. After the ontology (the file named by the first
// argument, in OWL functional syntax) is read, the engine writes "ready", then the ontology's
// object properties and its data properties, one line each. Each request is one line; each answer
// begins with a status line: "ok" (with fields as below), or "error" and a message. The engine ends when its input ends.
//   classify <facts> <individuals> <candidates> <excludable>: "inconsistent", or "ok" and one line
//       per individual: the indexes of the candidates entailed, then those whose complement is
//       (asked only for the excludable indexes), each comma-separated
//   consistent <facts>: "ok" and true or false, in one line
//   unsatisfiable: "ok" and the named classes HermiT proves empty (owl:Nothing aside), in one line
//   broken <facts> <kinds>: "ok" and a count, then one line per constraint of those kinds whose
//       removal makes the facts consistent: its kind, its rendering and the IRIs it names
// Lists travel as one field of space-separated items (IRIs and indexes hold no space); <facts>
// is an OWL functional-syntax document.
package calcinosiskb;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.coode.owlapi.functionalparser.OWLFunctionalSyntaxOWLParser;
import org.semanticweb.HermiT.Configuration;
import org.semanticweb.HermiT.Reasoner;
import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.io.StringDocumentSource;
import org.semanticweb.owlapi.model.IRI;
import org.semanticweb.owlapi.model.OWLAxiom;
import org.semanticweb.owlapi.model.OWLClass;
import org.semanticweb.owlapi.model.OWLClassExpression;
import org.semanticweb.owlapi.model.OWLDataFactory;
import org.semanticweb.owlapi.model.OWLDataProperty;
import org.semanticweb.owlapi.model.OWLEntity;
import org.semanticweb.owlapi.model.OWLNamedIndividual;
import org.semanticweb.owlapi.model.OWLObjectProperty;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyChange;
import org.semanticweb.owlapi.model.OWLOntologyManager;
import org.semanticweb.owlapi.model.OWLSubClassOfAxiom;

public final class Engine {
    private static final Charset UTF8 = Charset.forName("UTF-8");
    // Initialised in a thread of its own while the ontology is read (as jvm.WARM_UP in kb's process).
    private static final String WARM_UP = "org.semanticweb.HermiT.datatypes.DatatypeRegistry";

    private final OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
    private final OWLDataFactory factory = manager.getOWLDataFactory();
    private final OWLOntology ontology;

    private Engine(String document) throws Exception {
        ontology = manager.createOntology();
        new OWLFunctionalSyntaxOWLParser().parse(new StringDocumentSource(document), ontology);
    }

    public static void main(String[] arguments) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, UTF8));
        BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, UTF8));
        Thread warmUp = new Thread(new Runnable() {
            public void run() {
                try {
                    Class.forName(WARM_UP);
                } catch (Throwable error) { // the first reasoner then meets it itself
                }
            }
        });
        warmUp.setDaemon(true);
        warmUp.start();
        Engine engine;
        try {
            engine = new Engine(new String(Files.readAllBytes(Paths.get(arguments[0])), UTF8));
            warmUp.join();
            engine.consistent(Collections.<OWLAxiom>emptySet()); // HermiT set up before the first question
        } catch (Throwable error) {
            answer(out, failure(error));
            return;
        }
        answer(out, "ready");
        answer(out, engine.names(engine.ontology.getObjectPropertiesInSignature()));
        answer(out, engine.names(engine.ontology.getDataPropertiesInSignature()));
        String line;
        while ((line = in.readLine()) != null) {
            String[] fields = line.split("\t", -1);
            for (int i = 0; i < fields.length; i++) {
                fields[i] = unescape(fields[i]);
            }
            List<String> reply;
            try {
                reply = engine.answer(fields);
            } catch (Throwable error) {
                reply = Collections.singletonList(failure(error));
            }
            answer(out, reply.toArray(new String[0]));
        }
    }

    private List<String> answer(String[] fields) throws Exception {
        String verb = fields[0];
        if (verb.equals("classify")) {
            return classify(facts(fields[1]), items(fields[2]), items(fields[3]), items(fields[4]));
        } else if (verb.equals("consistent")) {
            return Collections.singletonList("ok\t" + consistent(facts(fields[1])));
        } else if (verb.equals("unsatisfiable")) {
            return unsatisfiable();
        } else if (verb.equals("broken")) {
            return broken(facts(fields[1]), new HashSet<String>(items(fields[2])));
        }
        return Collections.singletonList(join(Arrays.asList("error", "unknown request: " + verb)));
    }

    private Set<OWLAxiom> facts(String document) throws Exception {
        OWLOntology parsed = manager.createOntology();
        try {
            new OWLFunctionalSyntaxOWLParser().parse(new StringDocumentSource(document), parsed);
            return new HashSet<OWLAxiom>(parsed.getAxioms());
        } finally {
            manager.removeOntology(parsed);
        }
    }

    // Adds the facts for a question: those the ontology did not hold already (a case may restate an
    // ontology individual's type), to remove after it; removing the others would take them out of
    // the ontology for every later question.
    private Set<OWLAxiom> add(Set<OWLAxiom> axioms) {
        Set<OWLAxiom> added = new HashSet<OWLAxiom>();
        for (OWLOntologyChange change : manager.addAxioms(ontology, axioms)) { // the changes made
            added.add(change.getAxiom());
        }
        return added;
    }

    private List<String> classify(Set<OWLAxiom> axioms, List<String> individuals, List<String> candidates,
                                  List<String> excludable) {
        Set<OWLAxiom> added = add(axioms);
        Reasoner reasoner = null;
        try {
            reasoner = new Reasoner(new Configuration(), ontology);
            if (!reasoner.isConsistent()) {
                return Collections.singletonList("inconsistent");
            }
            List<OWLClass> classes = new ArrayList<OWLClass>();
            for (String candidate : candidates) {
                classes.add(factory.getOWLClass(IRI.create(candidate)));
            }
            List<String> lines = new ArrayList<String>();
            lines.add("ok");
            for (String iri : individuals) {
                OWLNamedIndividual individual = factory.getOWLNamedIndividual(IRI.create(iri));
                Set<Integer> entailed = new HashSet<Integer>();
                StringBuilder found = new StringBuilder();
                for (int i = 0; i < classes.size(); i++) {
                    if (reasoner.isEntailed(factory.getOWLClassAssertionAxiom(classes.get(i), individual))) {
                        entailed.add(i);
                        found.append(found.length() == 0 ? "" : ",").append(i);
                    }
                }
                // Excluded: the facts prove the case outside the definition (the differential).
                StringBuilder excluded = new StringBuilder();
                for (String index : excludable) {
                    int i = Integer.parseInt(index);
                    OWLClassExpression complement = factory.getOWLObjectComplementOf(classes.get(i));
                    if (!entailed.contains(i)
                            && reasoner.isEntailed(factory.getOWLClassAssertionAxiom(complement, individual))) {
                        excluded.append(excluded.length() == 0 ? "" : ",").append(i);
                    }
                }
                lines.add(found + "\t" + excluded);
            }
            return lines;
        } finally {
            if (reasoner != null) {
                reasoner.dispose();
            }
            manager.removeAxioms(ontology, added);
        }
    }

    private boolean consistent(Set<OWLAxiom> axioms) {
        Set<OWLAxiom> added = add(axioms);
        Reasoner reasoner = null;
        try {
            reasoner = new Reasoner(new Configuration(), ontology);
            return reasoner.isConsistent();
        } finally {
            if (reasoner != null) {
                reasoner.dispose();
            }
            manager.removeAxioms(ontology, added);
        }
    }

    private List<String> unsatisfiable() {
        Reasoner reasoner = new Reasoner(new Configuration(), ontology);
        try {
            List<String> fields = new ArrayList<String>();
            fields.add("ok");
            for (OWLClass empty : reasoner.getUnsatisfiableClasses().getEntitiesMinusBottom()) {
                fields.add(empty.getIRI().toString());
            }
            return Collections.singletonList(join(fields));
        } finally {
            reasoner.dispose();
        }
    }

    private List<String> broken(Set<OWLAxiom> axioms, Set<String> kinds) {
        Set<OWLAxiom> added = add(axioms);
        List<String> lines = new ArrayList<String>();
        try {
            for (OWLAxiom axiom : new ArrayList<OWLAxiom>(ontology.getLogicalAxioms())) {
                String kind = axiom.getAxiomType().getName();
                if (!kinds.contains(kind) || (kind.equals("SubClassOf") && !excludes((OWLSubClassOfAxiom) axiom))) {
                    continue;
                }
                manager.removeAxiom(ontology, axiom);
                boolean consistent;
                try {
                    consistent = consistent(Collections.<OWLAxiom>emptySet());
                } finally {
                    manager.addAxiom(ontology, axiom);
                }
                if (consistent) {
                    List<String> fields = new ArrayList<String>(Arrays.asList(kind, axiom.toString()));
                    for (OWLEntity entity : axiom.getSignature()) {
                        fields.add(entity.getIRI().toString());
                    }
                    lines.add(join(fields));
                }
            }
        } finally {
            manager.removeAxioms(ontology, added);
        }
        lines.add(0, "ok\t" + lines.size());
        return lines;
    }

    // A subclass axiom whose superclass is nothing or the complement of something.
    private static boolean excludes(OWLSubClassOfAxiom axiom) {
        OWLClassExpression superclass = axiom.getSuperClass();
        return superclass.isOWLNothing() || superclass.getClassExpressionType().getName().equals("ObjectComplementOf");
    }

    private String names(Set<? extends OWLEntity> entities) {
        List<String> fields = new ArrayList<String>();
        for (OWLEntity entity : entities) {
            fields.add(entity.getIRI().toString());
        }
        return join(fields);
    }

    private static List<String> items(String field) {
        return field.isEmpty() ? Collections.<String>emptyList() : Arrays.asList(field.split(" "));
    }

    private static String failure(Throwable error) {
        String message = error.getMessage();
        return join(Arrays.asList("error", error.getClass().getName() + (message == null ? "" : ": " + message)));
    }

    private static String join(List<String> fields) {
        StringBuilder line = new StringBuilder();
        for (String field : fields) {
            line.append(line.length() == 0 ? "" : "\t").append(escape(field));
        }
        return line.toString();
    }

    private static void answer(BufferedWriter out, String... lines) throws Exception {
        for (String line : lines) {
            out.write(line);
            out.write('\n');
        }
        out.flush();
    }

    private static String escape(String text) {
        return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r");
    }

    private static String unescape(String text) {
        if (text.indexOf('\\') < 0) {
            return text;
        }
        StringBuilder plain = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\' && i + 1 < text.length()) {
                char next = text.charAt(++i);
                plain.append(next == 't' ? '\t' : next == 'n' ? '\n' : next == 'r' ? '\r' : next);
            } else {
                plain.append(c);
            }
        }
        return plain.toString();
    }
}
