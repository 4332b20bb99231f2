// SPDX-License-Identifier: GPL-2.0-only
// JNI glue: one Java facade class per native concern (pairing, topology, affinity, processes),
// each with its own method table, all registered in JNI_OnLoad. C++ errors become Java exceptions
// here and nowhere else.
#include <jni.h>

#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "smtcheck/affinity.h"
#include "smtcheck/pairing.h"
#include "smtcheck/process.h"
#include "smtcheck/topology.h"

namespace {

const char *const kCallExceptionClass = "io/smtcheck/os/NativeCallException";

jclass g_call_exception;
jmethodID g_call_exception_init;

// Thrown by a JNI call that has already left a Java exception pending.
struct JavaExceptionPending {};

void throw_java(JNIEnv *env, const char *cls, const std::string &message)
{
	jclass c = env->FindClass(cls);
	if (c)
		env->ThrowNew(c, message.c_str());
}

void throw_call_exception(JNIEnv *env, const smtcheck::SystemError &e)
{
	// The Java side words the message from the call and errno, as for every failed system call.
	jstring call = env->NewStringUTF(e.call().c_str());
	if (!call)
		return;
	auto ex = static_cast<jthrowable>(
		env->NewObject(g_call_exception, g_call_exception_init, call, static_cast<jint>(e.error())));
	if (ex)
		env->Throw(ex);
}

// Runs `body`, turning any C++ exception into the matching Java one.
template <typename F> auto guarded(JNIEnv *env, F body) -> decltype(body())
{
	try {
		return body();
	} catch (const JavaExceptionPending &) {
	} catch (const smtcheck::SystemError &e) {
		throw_call_exception(env, e);
	} catch (const std::invalid_argument &e) {
		throw_java(env, "java/lang/IllegalArgumentException", e.what());
	} catch (const std::bad_alloc &) {
		throw_java(env, "java/lang/OutOfMemoryError", "native allocation failed");
	} catch (const std::exception &e) {
		throw_java(env, "java/lang/IllegalStateException", e.what());
	}
	return {};
}

void check(JNIEnv *env)
{
	if (env->ExceptionCheck())
		throw JavaExceptionPending{};
}

std::string to_string(JNIEnv *env, jstring s)
{
	if (!s) {
		throw_java(env, "java/lang/NullPointerException", "null string");
		throw JavaExceptionPending{};
	}
	const char *chars = env->GetStringUTFChars(s, nullptr);
	check(env);
	std::string out(chars);
	env->ReleaseStringUTFChars(s, chars);
	return out;
}

std::vector<int> to_ints(JNIEnv *env, jintArray a)
{
	if (!a) {
		throw_java(env, "java/lang/NullPointerException", "null int array");
		throw JavaExceptionPending{};
	}
	std::vector<int> out(env->GetArrayLength(a));
	env->GetIntArrayRegion(a, 0, static_cast<jsize>(out.size()), out.data());
	check(env);
	return out;
}

std::vector<double> to_doubles(JNIEnv *env, jdoubleArray a)
{
	if (!a) {
		throw_java(env, "java/lang/NullPointerException", "null double array");
		throw JavaExceptionPending{};
	}
	std::vector<double> out(env->GetArrayLength(a));
	env->GetDoubleArrayRegion(a, 0, static_cast<jsize>(out.size()), out.data());
	check(env);
	return out;
}

jintArray to_java(JNIEnv *env, const std::vector<int> &v)
{
	jintArray a = env->NewIntArray(static_cast<jsize>(v.size()));
	check(env);
	env->SetIntArrayRegion(a, 0, static_cast<jsize>(v.size()), v.data());
	return a;
}

jobjectArray to_java(JNIEnv *env, const smtcheck::Topology &topo)
{
	jclass int_array = env->FindClass("[I");
	check(env);
	jobjectArray out = env->NewObjectArray(static_cast<jsize>(topo.size()), int_array, nullptr);
	check(env);
	for (size_t i = 0; i < topo.size(); i++) {
		jintArray core = to_java(env, topo[i]);
		env->SetObjectArrayElement(out, static_cast<jsize>(i), core);
		env->DeleteLocalRef(core);
	}
	return out;
}

smtcheck::Topology to_topology(JNIEnv *env, jobjectArray cores)
{
	if (!cores) {
		throw_java(env, "java/lang/NullPointerException", "null topology");
		throw JavaExceptionPending{};
	}
	smtcheck::Topology topo;
	jsize n = env->GetArrayLength(cores);
	for (jsize i = 0; i < n; i++) {
		auto core = static_cast<jintArray>(env->GetObjectArrayElement(cores, i));
		check(env);
		topo.push_back(to_ints(env, core));
		env->DeleteLocalRef(core);
	}
	return topo;
}

jobjectArray read_topology(JNIEnv *env, jclass, jstring root)
{
	return guarded(env, [&] { return to_java(env, smtcheck::read_topology(to_string(env, root))); });
}

jobjectArray parse_topology(JNIEnv *env, jclass, jstring spec, jstring root)
{
	return guarded(env, [&] {
		auto online = smtcheck::online_cpus(to_string(env, root));
		return to_java(env, smtcheck::parse_topology(to_string(env, spec), online));
	});
}

// current: per core the workload index on each of its two CPUs (or -1), or empty when nothing runs.
// Result layout: [mode used, workloads moved, then per core its two occupants (workload index or
// -1)]; `totals` receives the plan's score, the kept score and the optimal score.
jintArray plan(JNIEnv *env, jclass, jintArray workers, jdoubleArray scores, jdouble solo, jobjectArray cores,
	       jint mode, jintArray current, jdouble migration_cost, jdoubleArray totals)
{
	return guarded(env, [&] {
		if (mode < 0 || mode > 2)
			throw std::invalid_argument("unknown pairing mode " + std::to_string(mode));
		smtcheck::PairingInput in;
		in.workers = to_ints(env, workers);
		in.scores = to_doubles(env, scores);
		in.solo = solo;
		in.cores = to_topology(env, cores);
		std::vector<int> now = to_ints(env, current);
		if (now.size() % 2)
			throw std::invalid_argument("current placement has an odd number of entries");
		for (size_t i = 0; i < now.size(); i += 2)
			in.current.push_back({now[i], now[i + 1]});
		in.migration_cost = migration_cost;
		if (!totals || env->GetArrayLength(totals) != 3)
			throw std::invalid_argument("totals must hold 3 entries");
		smtcheck::Replan r = smtcheck::replan_pairs(in, static_cast<smtcheck::Mode>(mode));
		double out_totals[3] = {r.plan.total, r.kept, r.optimal};
		env->SetDoubleArrayRegion(totals, 0, 3, out_totals);
		check(env);
		std::vector<int> out{static_cast<int>(r.plan.mode), r.plan.moved_workloads};
		for (const auto &core : r.plan.occupants)
			out.insert(out.end(), core.begin(), core.end());
		return to_java(env, out);
	});
}

// Result layout: [processes found, tasks pinned].
jintArray set_group_affinity(JNIEnv *env, jclass, jint pgid, jintArray cpus)
{
	return guarded(env, [&] {
		smtcheck::AffinityResult r = smtcheck::set_group_affinity(pgid, to_ints(env, cpus));
		return to_java(env, std::vector<int>{r.processes, r.tasks});
	});
}

jintArray get_affinity(JNIEnv *env, jclass, jint tid)
{
	return guarded(env, [&] { return to_java(env, smtcheck::get_affinity(tid)); });
}

jint spawn_group_leader(JNIEnv *env, jclass, jobjectArray argv)
{
	return guarded(env, [&]() -> jint {
		if (!argv) {
			throw std::invalid_argument("no command to start");
		}
		std::vector<std::string> args;
		for (jsize i = 0; i < env->GetArrayLength(argv); i++) {
			auto s = static_cast<jstring>(env->GetObjectArrayElement(argv, i));
			check(env);
			args.push_back(to_string(env, s));
			env->DeleteLocalRef(s);
		}
		return smtcheck::spawn_group_leader(args);
	});
}

jint wait_exit(JNIEnv *env, jclass, jint pid)
{
	return guarded(env, [&]() -> jint { return smtcheck::wait_exit(pid); });
}

jboolean signal_group(JNIEnv *env, jclass, jint pgid, jint sig)
{
	return guarded(env, [&]() -> jboolean { return smtcheck::signal_group(pgid, sig); });
}

template <typename F> JNINativeMethod method(const char *name, const char *signature, F fn)
{
	return {const_cast<char *>(name), const_cast<char *>(signature), reinterpret_cast<void *>(fn)};
}

const JNINativeMethod kPairingMethods[] = {
	method("plan", "([I[DD[[II[ID[D)[I", plan),
};

const JNINativeMethod kTopologyMethods[] = {
	method("readTopology", "(Ljava/lang/String;)[[I", read_topology),
	method("parseTopology", "(Ljava/lang/String;Ljava/lang/String;)[[I", parse_topology),
};

const JNINativeMethod kAffinityMethods[] = {
	method("setGroupAffinity", "(I[I)[I", set_group_affinity),
	method("getAffinity", "(I)[I", get_affinity),
};

const JNINativeMethod kProcessMethods[] = {
	method("spawnGroupLeader", "([Ljava/lang/String;)I", spawn_group_leader),
	method("waitExit", "(I)I", wait_exit),
	method("signalGroup", "(II)Z", signal_group),
};

struct Facade {
	const char *cls;
	const JNINativeMethod *methods;
	jint count;
};

template <size_t N> Facade facade(const char *cls, const JNINativeMethod (&methods)[N])
{
	return {cls, methods, static_cast<jint>(N)};
}

// Every Java class that declares native methods, with the methods it declares.
const Facade kFacades[] = {
	facade("io/smtcheck/sched/NativePairing", kPairingMethods),
	facade("io/smtcheck/sched/NativeTopology", kTopologyMethods),
	facade("io/smtcheck/sched/NativeAffinity", kAffinityMethods),
	facade("io/smtcheck/proc/NativeProcesses", kProcessMethods),
};

}  // namespace

extern "C" JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM *vm, void *)
{
	JNIEnv *env;
	if (vm->GetEnv(reinterpret_cast<void **>(&env), JNI_VERSION_1_8) != JNI_OK)
		return JNI_ERR;
	for (const Facade &f : kFacades) {
		jclass cls = env->FindClass(f.cls);
		if (!cls || env->RegisterNatives(cls, f.methods, f.count) != 0)
			return JNI_ERR;
		env->DeleteLocalRef(cls);
	}
	jclass ex = env->FindClass(kCallExceptionClass);
	if (!ex)
		return JNI_ERR;
	g_call_exception = static_cast<jclass>(env->NewGlobalRef(ex));
	g_call_exception_init = env->GetMethodID(g_call_exception, "<init>", "(Ljava/lang/String;I)V");
	if (!g_call_exception || !g_call_exception_init)
		return JNI_ERR;
	return JNI_VERSION_1_8;
}

extern "C" JNIEXPORT void JNICALL JNI_OnUnload(JavaVM *vm, void *)
{
	JNIEnv *env;
	if (vm->GetEnv(reinterpret_cast<void **>(&env), JNI_VERSION_1_8) == JNI_OK && g_call_exception)
		env->DeleteGlobalRef(g_call_exception);
}
