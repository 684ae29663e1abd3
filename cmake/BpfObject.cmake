# bpf_object(NAME SOURCE): compile SOURCE (an x.bpf.c) with clang into NAME.bpf.o,
# generate NAME.skel.h with bpftool, and define the INTERFACE target NAME_skel that
# gives its users the skeleton's include directory.
#
# vmlinux.h comes from the build host's BTF when it has one; otherwise the vendored
# copy for the target architecture is used (CO-RE relocates it on any kernel).

find_program(BPF_CLANG NAMES clang clang-14 REQUIRED)
find_program(BPFTOOL NAMES bpftool PATHS /usr/sbin /usr/local/sbin REQUIRED)

string(REGEX REPLACE "x86_64|amd64" "x86" BPF_ARCH "${CMAKE_SYSTEM_PROCESSOR}")
string(REGEX REPLACE "aarch64|arm64" "arm64" BPF_ARCH "${BPF_ARCH}")

set(BPF_VMLINUX_DIR ${CMAKE_BINARY_DIR}/vmlinux)
set(BPF_HOST_BTF /sys/kernel/btf/vmlinux)
if(EXISTS ${BPF_HOST_BTF})
	add_custom_command(OUTPUT ${BPF_VMLINUX_DIR}/vmlinux.h
		COMMAND ${CMAKE_COMMAND} -E make_directory ${BPF_VMLINUX_DIR}
		COMMAND ${BPFTOOL} btf dump file ${BPF_HOST_BTF} format c > ${BPF_VMLINUX_DIR}/vmlinux.h
		COMMENT "Generating vmlinux.h from ${BPF_HOST_BTF}")
else()
	message(STATUS "No ${BPF_HOST_BTF}: using the vendored vmlinux.h for ${BPF_ARCH}")
	configure_file(${CMAKE_SOURCE_DIR}/bpf/vmlinux/${BPF_ARCH}/vmlinux.h
		${BPF_VMLINUX_DIR}/vmlinux.h COPYONLY)
endif()
add_custom_target(vmlinux_h DEPENDS ${BPF_VMLINUX_DIR}/vmlinux.h)

function(bpf_object name source)
	set(src ${CMAKE_CURRENT_SOURCE_DIR}/${source})
	set(obj ${CMAKE_CURRENT_BINARY_DIR}/${name}.bpf.o)
	set(skel ${CMAKE_CURRENT_BINARY_DIR}/${name}.skel.h)
	add_custom_command(OUTPUT ${obj}
		COMMAND ${BPF_CLANG} -g -O2 -target bpf -D__TARGET_ARCH_${BPF_ARCH}
			-Wall -Werror -I${BPF_VMLINUX_DIR} -I${CMAKE_CURRENT_SOURCE_DIR}
			-c ${src} -o ${obj}.tmp
		COMMAND ${BPFTOOL} gen object ${obj} ${obj}.tmp
		DEPENDS ${src} vmlinux_h ${BPF_VMLINUX_DIR}/vmlinux.h
		IMPLICIT_DEPENDS C ${src}
		COMMENT "Compiling eBPF object ${name}.bpf.o")
	add_custom_command(OUTPUT ${skel}
		COMMAND ${BPFTOOL} gen skeleton ${obj} name ${name}_bpf > ${skel}
		DEPENDS ${obj}
		COMMENT "Generating skeleton ${name}.skel.h")
	add_custom_target(${name}_skel_gen DEPENDS ${skel})
	add_library(${name}_skel INTERFACE)
	add_dependencies(${name}_skel ${name}_skel_gen)
	target_include_directories(${name}_skel INTERFACE ${CMAKE_CURRENT_BINARY_DIR}
		${CMAKE_CURRENT_SOURCE_DIR})
endfunction()
